/* lessons: the learning path's steps and the interview drills, listed from
 * their files (see lessons.h). */
#define _XOPEN_SOURCE 700 /* realpath */
#include "sim/lessons.h"

#include <ctype.h>
#include <dirent.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sim/xalloc.h"

#ifndef PATH_MAX
#define PATH_MAX 4096
#endif

static bool is_ini(const char *name)
{
    size_t n = strlen(name);
    return name[0] != '.' && n > 4 && strcmp(name + n - 4, ".ini") == 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The *.ini names of dir, sorted; *n of them. */
static char **ini_names(const char *dir, size_t *n)
{
    *n = 0;
    DIR *dp = opendir(dir);
    if (!dp)
        return NULL;
    char **v = NULL;
    size_t cap = 0;
    for (struct dirent *e; (e = readdir(dp)) != NULL;) {
        if (!is_ini(e->d_name))
            continue;
        xgrow(&v, &cap, *n + 1, sizeof *v);
        v[(*n)++] = xstrdup(e->d_name);
    }
    closedir(dp);
    if (*n)
        qsort(v, *n, sizeof *v, cmp_str);
    return v;
}

static void free_names(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

/* path if it is a folder holding a scenario, made absolute; else NULL. */
static char *holding(const char *path)
{
    size_t n;
    char **v = ini_names(path, &n);
    free_names(v, n);
    if (n == 0)
        return NULL;
    char *abs = realpath(path, NULL);
    return abs ? abs : xstrdup(path);
}

char *lessons_dir(const char *topic)
{
    char exe[PATH_MAX], path[PATH_MAX + 64];
    ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (len > 0) {
        exe[len] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = '\0';
            static const char *const under[] = {"scenarios", "../share/sdsim/scenarios"};
            for (size_t i = 0; i < sizeof under / sizeof under[0]; i++) {
                snprintf(path, sizeof path, "%s/%s/%s", exe, under[i], topic);
                char *dir = holding(path);
                if (dir)
                    return dir;
            }
        }
    }
    snprintf(path, sizeof path, "scenarios/%s", topic);
    return holding(path);
}

/* Skips "Step N of M: " or "Drill: " at s. */
static const char *skip_label(const char *s)
{
    if (strncmp(s, "Drill: ", 7) == 0)
        return s + 7;
    const char *p = s;
    if (strncmp(p, "Step ", 5) != 0)
        return s;
    p += 5;
    if (!isdigit((unsigned char)*p))
        return s;
    while (isdigit((unsigned char)*p))
        p++;
    if (strncmp(p, " of ", 4) != 0)
        return s;
    p += 4;
    if (!isdigit((unsigned char)*p))
        return s;
    while (isdigit((unsigned char)*p))
        p++;
    return strncmp(p, ": ", 2) == 0 ? p + 2 : s;
}

char *lessons_summary(const char *text)
{
    size_t cap = 0, len = 0;
    char *out = NULL;
    for (const char *line = text; *line == '#';) {
        const char *end = strchr(line, '\n');
        if (!end)
            end = line + strlen(line);
        const char *b = line + 1, *e = end;
        while (b < e && isspace((unsigned char)*b))
            b++;
        while (e > b && isspace((unsigned char)e[-1]))
            e--;
        if (b == e) /* "#" alone: the paragraph ends */
            break;
        xgrow(&out, &cap, len + (size_t)(e - b) + 2, 1);
        if (len)
            out[len++] = ' ';
        memcpy(out + len, b, (size_t)(e - b));
        len += (size_t)(e - b);
        out[len] = '\0';
        line = *end ? end + 1 : end;
    }
    if (!out)
        return NULL;
    const char *s = skip_label(out);
    memmove(out, s, strlen(s) + 1);
    return out;
}

/* The first 4 KB of a file, enough for its leading comment. */
static char *head_of(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    char *buf = xmalloc(4097);
    size_t n = fread(buf, 1, 4096, f);
    fclose(f);
    buf[n] = '\0';
    return buf;
}

size_t lessons_print(const char *dir, int width, FILE *out)
{
    size_t n;
    char **v = ini_names(dir, &n);
    const int indent = 26; /* the summaries start after 26 characters */
    for (size_t i = 0; i < n; i++) {
        char path[PATH_MAX + 256];
        snprintf(path, sizeof path, "%s/%s", dir, v[i]);
        char *text = head_of(path);
        char *sum = text ? lessons_summary(text) : NULL;
        int col = fprintf(out, "  %-*.*s", indent - 3, (int)(strlen(v[i]) - 4), v[i]);
        for (const char *t = sum ? sum : "(no comment at its top)"; *t;) {
            int word = (int)strcspn(t, " ");
            if (col >= indent && col + 1 + word > width)
                col = fprintf(out, "\n%*s", indent, "") - 1;
            else
                col += fprintf(out, " ");
            col += fprintf(out, "%.*s", word, t);
            t += word;
            t += strspn(t, " ");
        }
        fprintf(out, "\n");
        free(sum);
        free(text);
    }
    free_names(v, n);
    return n;
}
