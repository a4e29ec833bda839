/* spec: a tiny recursive-descent-free scanner for "name(k=v, ...)". The text
 * is copied into sp->buf and cut in place (NUL at every separator), so names
 * and values are pointers into the spec itself: no allocation. Columns are
 * tracked from the start of the text, so every part has its own location. */
#include "sim/spec.h"

#include <ctype.h>
#include <stdbool.h>
#include <string.h>

static struct loc at(struct loc base, size_t off)
{
    base.col += (int)off;
    return base;
}

/* Trims blanks around buf[b..e) in place; returns the new start offset. */
static size_t trim(char *buf, size_t b, size_t e)
{
    while (b < e && isspace((unsigned char)buf[b]))
        b++;
    while (e > b && isspace((unsigned char)buf[e - 1]))
        e--;
    buf[e] = '\0';
    return b;
}

static bool is_ident(const char *s)
{
    if (!*s || !(isalpha((unsigned char)*s) || *s == '_'))
        return false;
    for (; *s; s++)
        if (!(isalnum((unsigned char)*s) || *s == '_' || *s == '-' || *s == '.'))
            return false;
    return true;
}

static int parse_arg(struct spec *sp, size_t b, size_t e, struct loc loc, struct diag *d)
{
    char *buf = sp->buf;
    size_t eq = b;
    while (eq < e && buf[eq] != '=' && buf[eq] != '(') /* a '=' inside a nested spec is its own */
        eq++;
    if (eq < e && buf[eq] == '(')
        eq = e;
    if (sp->nargs == SPEC_MAX_ARGS)
        return diag_error(d, at(loc, b), "too many arguments to '%s' (at most %d)", sp->name,
                          SPEC_MAX_ARGS);
    struct spec_arg *a = &sp->args[sp->nargs];
    if (eq < e) {
        size_t kb = trim(buf, b, eq);
        size_t vb = trim(buf, eq + 1, e);
        if (!buf[kb])
            return diag_error(d, at(loc, b), "missing parameter name before '='");
        if (!is_ident(buf + kb))
            return diag_error(d, at(loc, kb), "bad parameter name '%s'", buf + kb);
        if (!buf[vb])
            return diag_error(d, at(loc, eq + 1), "missing value for '%s'", buf + kb);
        *a = (struct spec_arg){buf + kb, buf + vb, at(loc, kb), at(loc, vb)};
    } else {
        size_t vb = trim(buf, b, e);
        if (!buf[vb])
            return diag_error(d, at(loc, b), "empty argument");
        *a = (struct spec_arg){NULL, buf + vb, at(loc, vb), at(loc, vb)};
    }
    for (size_t i = 0; a->key && i < sp->nargs; i++)
        if (sp->args[i].key && strcmp(sp->args[i].key, a->key) == 0)
            return diag_error(d, a->key_loc, "parameter '%s' given twice", a->key);
    sp->nargs++;
    return 0;
}

int spec_parse(struct spec *sp, const char *text, struct loc loc, struct diag *d)
{
    memset(sp, 0, sizeof *sp);
    size_t len = strlen(text);
    if (len >= SPEC_MAX_TEXT)
        return diag_error(d, loc, "value too long (%zu characters, at most %d)", len,
                          SPEC_MAX_TEXT - 1);
    memcpy(sp->buf, text, len + 1);
    char *buf = sp->buf;
    size_t open = strcspn(buf, "(");
    size_t nb = trim(buf, 0, open);
    sp->name = buf + nb;
    sp->loc = at(loc, nb);
    if (!*sp->name)
        return diag_error(d, loc, "expected a name, as in exp(mean=10ms)");
    if (!is_ident(sp->name))
        return diag_error(d, sp->loc, "bad name '%s'", sp->name);
    if (open == len)
        return 0;
    /* The matching ')': an argument's value may itself be a spec with
     * parentheses, as in mix(0.9 exp(mean=1ms), 0.1 const(5ms)). */
    size_t close = open + 1;
    for (int depth = 0; close < len; close++) {
        if (buf[close] == '(')
            depth++;
        else if (buf[close] == ')' && depth-- == 0)
            break;
    }
    if (close == len)
        return diag_error(d, at(loc, open), "missing ')'");
    for (size_t i = close + 1; i < len; i++)
        if (!isspace((unsigned char)buf[i]))
            return diag_error(d, at(loc, i), "unexpected text after ')'");
    if (trim(buf, open + 1, close) == close) /* "name()" */
        return 0;
    int rc = 0;
    size_t b = open + 1;
    int depth = 0;
    for (size_t i = open + 1; i <= close; i++) {
        if (i < close && buf[i] == '(')
            depth++;
        else if (i < close && buf[i] == ')')
            depth--;
        if (i == close || (buf[i] == ',' && depth == 0)) {
            buf[i] = '\0';
            if (parse_arg(sp, b, i, loc, d) < 0)
                rc = -1;
            b = i + 1;
        }
    }
    return rc;
}

const struct spec_arg *spec_get(const struct spec *sp, const char *key)
{
    for (size_t i = 0; i < sp->nargs; i++)
        if (sp->args[i].key && strcmp(sp->args[i].key, key) == 0)
            return &sp->args[i];
    return NULL;
}

static size_t param_count(const struct param_spec *params)
{
    size_t n = 0;
    while (params && params[n].name)
        n++;
    return n;
}

int spec_check(const struct spec *sp, const struct param_spec *params, const char *what,
               struct diag *d)
{
    size_t np = param_count(params);
    const char *names[64];
    for (size_t i = 0; i < np && i < 64; i++)
        names[i] = params[i].name;
    int rc = 0;
    for (size_t i = 0; i < sp->nargs; i++) {
        const struct spec_arg *a = &sp->args[i];
        if (!a->key) {
            if (i >= np)
                rc = diag_error(d, a->val_loc, "%s takes at most %zu argument%s", what, np,
                                np == 1 ? "" : "s");
            continue;
        }
        size_t j = 0;
        while (j < np && strcmp(params[j].name, a->key) != 0)
            j++;
        if (j < np)
            continue;
        const char *near = diag_closest(a->key, names, np < 64 ? np : 64);
        if (near)
            rc = diag_error(d, a->key_loc, "unknown parameter '%s' for %s (did you mean '%s'?)",
                            a->key, what, near);
        else if (np)
            rc = diag_error(d, a->key_loc, "unknown parameter '%s' for %s (it takes: %s%s%s%s%s)",
                            a->key, what, names[0], np > 1 ? ", " : "", np > 1 ? names[1] : "",
                            np > 2 ? ", " : "", np > 2 ? "..." : "");
        else
            rc = diag_error(d, a->key_loc, "%s takes no parameters", what);
    }
    for (size_t j = 0; j < np; j++) {
        struct loc l;
        if (!params[j].def && !spec_value(sp, params, params[j].name, &l))
            rc = diag_error(d, sp->loc, "%s needs '%s' (%s)", what, params[j].name,
                            params[j].help);
    }
    return rc;
}

const char *spec_value(const struct spec *sp, const struct param_spec *params, const char *key,
                       struct loc *loc)
{
    const struct spec_arg *a = spec_get(sp, key);
    size_t np = param_count(params);
    size_t idx = 0;
    while (idx < np && strcmp(params[idx].name, key) != 0)
        idx++;
    if (!a && idx < np && idx < sp->nargs && !sp->args[idx].key)
        a = &sp->args[idx];
    if (a) {
        if (loc)
            *loc = a->val_loc;
        return a->val;
    }
    if (loc)
        *loc = sp->loc;
    return idx < np ? params[idx].def : NULL;
}
