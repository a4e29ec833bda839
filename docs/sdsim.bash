# bash completion for sdsim: commands, options, scenario files, and from
# `sdsim list` (asked when completing, so the names never go stale): the
# kinds and families `sdsim list` takes, section names and keys for --set
# (from the scenario on the command line), and the policies a key takes,
# e.g. `--set app.balance=` offers the balance policies.
# Installed as share/bash-completion/completions/sdsim; `source` it to try.

# The sdsim being completed (COMP_WORDS[0], e.g. ./sdsim), else the one on PATH.
_sdsim_bin()
{
    local b=${COMP_WORDS[0]}
    b=${b/#\~/$HOME}
    if [[ $b == */* && -x $b ]] || type -P -- "$b" >/dev/null 2>&1; then
        printf '%s\n' "$b"
    else
        printf 'sdsim\n'
    fi
}

# What `sdsim list` takes: kinds ([NAME ...] headers), families ("name: "
# lines), sim, expect, theory, metrics, learn and drills.
_sdsim_list_topics()
{
    "$(_sdsim_bin)" list 2>/dev/null | awk '
        /^\[[a-z_]+ NAME\]/ { sub(/^\[/, ""); print $1; next }
        /^[a-z_]+: / { sub(/:.*/, ""); print }'
    printf '%s\n' sim expect theory metrics learn drills
}

# The policies of every family whose key is $1 (the "(key: KEY)" header).
_sdsim_policies()
{
    "$(_sdsim_bin)" list 2>/dev/null | awk -v key="$1" '
        /^\[/ { fam = 0; next }
        /^[a-z_]+: / { fam = index($0, "(key: " key ")") > 0; next }
        fam && /^  [^ ]/ { print $1 }'
}

# The keys of a kind, from `sdsim list KIND`.
_sdsim_kind_keys()
{
    "$(_sdsim_bin)" list "$1" 2>/dev/null | awk 'NR > 2 && /^  [a-z_]/ { print $1 }'
}

# "NAME KIND" of every section of scenario file $1 ([sim] is "sim sim").
_sdsim_sections()
{
    [[ -r $1 ]] || return
    sed -n 's/^[[:space:]]*\[[[:space:]]*\([a-z_]*\)[[:space:]]\{1,\}\([A-Za-z0-9_.-]*\)[[:space:]]*\].*/\2 \1/p
            s/^[[:space:]]*\[[[:space:]]*sim[[:space:]]*\].*/sim sim/p' "$1"
}

_sdsim()
{
    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
    local cmd=${COMP_WORDS[1]}
    COMPREPLY=()
    if ((COMP_CWORD == 1)); then
        COMPREPLY=($(compgen -W 'run validate list plot merge compare help --help --version' -- "$cur"))
        return
    fi
    case $cmd in
    help)
        ((COMP_CWORD == 2)) && COMPREPLY=($(compgen -W 'run validate list plot merge compare' -- "$cur"))
        return
        ;;
    list)
        ((COMP_CWORD == 2)) && COMPREPLY=($(compgen -W "$(_sdsim_list_topics)" -- "$cur"))
        return
        ;;
    plot)
        ((COMP_CWORD == 2)) && COMPREPLY=($(compgen -d -- "$cur"))
        return
        ;;
    compare) # DIR, then --by VAR (the manifest's sweeps) and the options
        if [[ $prev == --by && -r ${COMP_WORDS[2]}/manifest.txt ]]; then
            COMPREPLY=($(compgen -W "$(sed -n 's/^sweep \([^:]*\):.*/\1/p' \
                "${COMP_WORDS[2]}/manifest.txt")" -- "$cur"))
        elif [[ $cur == -* ]]; then
            COMPREPLY=($(compgen -W '--by --baseline --metric --csv --help' -- "$cur"))
        elif ((COMP_CWORD == 2)); then
            COMPREPLY=($(compgen -d -- "$cur"))
        fi
        return
        ;;
    merge) # -o DIR, -q, then the shards' folders
        if [[ $cur == -* ]]; then
            COMPREPLY=($(compgen -W '-o --output -q --quiet --help' -- "$cur"))
        else
            COMPREPLY=($(compgen -d -- "$cur"))
        fi
        return
        ;;
    run | validate) ;;
    *) return ;;
    esac

    # The scenario file: the first word after the command that is not an
    # option or an option's value.
    local file= i w
    for ((i = 2; i < COMP_CWORD; i++)); do
        w=${COMP_WORDS[i]}
        case $w in
        -o | --output | -j | --jobs | --seed | --runs | --shard | --find | --set) ((i++)) ;;
        -*) ;;
        *) [[ -z $file ]] && file=$w ;;
        esac
    done

    # --set NAME.KEY=VALUE: bash splits the word at '=' (COMP_WORDBREAKS).
    local key=
    if [[ $cur == = && ${COMP_WORDS[COMP_CWORD-2]} == --set ]]; then
        key=$prev
        cur=
    elif [[ $prev == = && ${COMP_WORDS[COMP_CWORD-3]} == --set ]]; then
        key=${COMP_WORDS[COMP_CWORD-2]}
    fi
    if [[ -n $key ]]; then
        COMPREPLY=($(compgen -W "$(_sdsim_policies "${key##*.}")" -- "$cur"))
        return
    fi
    case $prev in
    -o | --output)
        COMPREPLY=($(compgen -d -- "$cur"))
        return
        ;;
    -j | --jobs | --seed | --runs | --shard | --find) return ;;
    --set)
        local name kind words=
        if [[ $cur == *.* ]]; then
            name=${cur%%.*}
            kind=$(_sdsim_sections "$file" | awk -v n="$name" '$1 == n { print $2; exit }')
            [[ -n $kind ]] && words=$(_sdsim_kind_keys "$kind" | sed "s/^/$name./")
        else
            words=$(_sdsim_sections "$file" | awk '{ print $1 "." }')
        fi
        COMPREPLY=($(compgen -W "$words" -- "$cur"))
        [[ ${#COMPREPLY[@]} -gt 0 ]] && compopt -o nospace 2>/dev/null
        return
        ;;
    esac
    if [[ $cur == -* ]]; then
        local opts='--set --force --strict --help'
        [[ $cmd == run ]] && opts+=' -o --output -j --jobs --seed --runs --shard --find -q --quiet
            --progress --no-progress --quiz'
        COMPREPLY=($(compgen -W "$opts" -- "$cur"))
        return
    fi
    if [[ -z $file ]]; then
        compopt -o filenames 2>/dev/null
        COMPREPLY=($(compgen -f -X '!*.ini' -- "$cur") $(compgen -d -- "$cur"))
        return
    fi
}
complete -F _sdsim sdsim
