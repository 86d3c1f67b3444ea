/* fix_dictgen.c -- the FIX gateway's tag constants from its data dictionary.
 *
 *   fix_dictgen DICTIONARY.xml tags.h
 *
 * Reads docs/fix/CETS-FIX44.xml (QuickFIX's format, as published to members)
 * and writes src/fix/tags.h: every field of the dictionary as TAG_<FIX name>
 * = number. The XML stays the one source of truth: CMake's target fix_dict
 * regenerates the header in the source tree, and the test fix_dict_sync fails
 * when the committed header is not what this program makes of the XML.
 *
 * The reader knows exactly the subset of XML the dictionary uses: elements
 * with double-quoted attributes, comments and the <?xml?> declaration; no
 * entities, no CDATA. Anything else is an error naming the line.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ATTRS 8
#define MAX_FIELDS 1024

typedef struct attr {
    char name[32];
    char val[128];
} attr;

/* One tag of the document: <name a="v" ...>, </name> or <name .../>. */
typedef struct xtag {
    char name[32];
    attr a[MAX_ATTRS];
    int na;
    int closing, empty;
    int line;
} xtag;

typedef struct field {
    unsigned number;
    char name[64], type[32];
} field;

static const char *path;
static field fields[MAX_FIELDS];
static int nfields;

static void die(int line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "fix_dictgen: %s:%d: ", path, line);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(1);
}

static const char *attr_get(const xtag *t, const char *name)
{
    for (int i = 0; i < t->na; i++)
        if (!strcmp(t->a[i].name, name))
            return t->a[i].val;
    return NULL;
}

static const char *attr_need(const xtag *t, const char *name)
{
    const char *v = attr_get(t, name);
    if (!v)
        die(t->line, "<%s> without %s=\"...\"", t->name, name);
    return v;
}

/* The next tag from *p (text between tags is skipped); 0 at the end. */
static int next_tag(const char **p, int *line, xtag *t)
{
    const char *s = *p;
    for (;;) {
        while (*s && *s != '<') {
            if (*s == '\n')
                (*line)++;
            s++;
        }
        if (!*s)
            return 0;
        if (!strncmp(s, "<!--", 4) || !strncmp(s, "<?", 2)) {
            const char *end = strstr(s, s[1] == '!' ? "-->" : "?>");
            if (!end)
                die(*line, "unterminated comment or declaration");
            for (; s < end; s++)
                if (*s == '\n')
                    (*line)++;
            continue;
        }
        break;
    }
    memset(t, 0, sizeof *t);
    t->line = *line;
    s++;
    if (*s == '/') {
        t->closing = 1;
        s++;
    }
    size_t n = 0;
    while (isalnum((unsigned char)*s) || *s == '_')
        if (n + 1 < sizeof t->name)
            t->name[n++] = *s++;
        else
            die(*line, "element name too long");
    if (!n)
        die(*line, "expected an element name");
    for (;;) {
        while (isspace((unsigned char)*s))
            if (*s++ == '\n')
                (*line)++;
        if (*s == '>') {
            s++;
            break;
        }
        if (s[0] == '/' && s[1] == '>') {
            t->empty = 1;
            s += 2;
            break;
        }
        if (t->na == MAX_ATTRS)
            die(*line, "too many attributes");
        attr *a = &t->a[t->na++];
        n = 0;
        while (isalnum((unsigned char)*s) || *s == '_')
            if (n + 1 < sizeof a->name)
                a->name[n++] = *s++;
            else
                die(*line, "attribute name too long");
        if (!n || s[0] != '=' || s[1] != '"')
            die(*line, "expected name=\"value\" in <%s>", t->name);
        s += 2;
        n = 0;
        while (*s && *s != '"' && *s != '\n')
            if (n + 1 < sizeof a->val)
                a->val[n++] = *s++;
            else
                die(*line, "attribute value too long");
        if (*s != '"')
            die(*line, "unterminated attribute value");
        s++;
    }
    *p = s;
    return 1;
}

static char *slurp(const char *file)
{
    FILE *f = fopen(file, "rb");
    if (!f) {
        perror(file);
        exit(1);
    }
    size_t cap = 1 << 16, n = 0;
    char *b = malloc(cap);
    size_t r;
    while (b && (r = fread(b + n, 1, cap - n - 1, f)) > 0)
        if ((n += r) + 1 == cap)
            b = realloc(b, cap *= 2);
    fclose(f);
    if (!b) {
        fprintf(stderr, "fix_dictgen: out of memory\n");
        exit(1);
    }
    b[n] = 0;
    return b;
}

/* The <fields> section: number, name and type of every field. */
static void read_fields(const char *doc)
{
    const char *p = doc;
    int line = 1, in_fields = 0;
    xtag t;
    while (next_tag(&p, &line, &t)) {
        if (!strcmp(t.name, "fields") && !t.empty) {
            in_fields = !t.closing;
            continue;
        }
        if (!in_fields || t.closing || strcmp(t.name, "field") != 0)
            continue;
        if (nfields == MAX_FIELDS)
            die(t.line, "too many fields");
        field *f = &fields[nfields++];
        f->number = (unsigned)strtoul(attr_need(&t, "number"), NULL, 10);
        snprintf(f->name, sizeof f->name, "%s", attr_need(&t, "name"));
        snprintf(f->type, sizeof f->type, "%s", attr_need(&t, "type"));
        if (!f->number)
            die(t.line, "field %s: bad number", f->name);
        for (int i = 0; i < nfields - 1; i++)
            if (fields[i].number == f->number || !strcmp(fields[i].name, f->name))
                die(t.line, "field %s (%u) defined twice", f->name, f->number);
    }
}

static int by_number(const void *a, const void *b)
{
    unsigned x = ((const field *)a)->number, y = ((const field *)b)->number;
    return x < y ? -1 : x > y;
}

static void write_tags(const char *out)
{
    FILE *f = fopen(out, "w");
    if (!f) {
        perror(out);
        exit(1);
    }
    field sorted[MAX_FIELDS];
    memcpy(sorted, fields, (size_t)nfields * sizeof *fields);
    qsort(sorted, (size_t)nfields, sizeof *sorted, by_number);
    fprintf(f, "/* tags.h -- every FIX tag of the gateway's data dictionary by its FIX name.\n"
               " *\n"
               " * Generated by scripts/fix_dictgen.c from docs/fix/CETS-FIX44.xml: edit the\n"
               " * XML, then `cmake --build build --target fix_dict`. The test fix_dict_sync\n"
               " * fails when this file and the XML disagree. Custom tags (20001-20031) are\n"
               " * described in docs/fix.md.\n"
               " */\n"
               "#ifndef CETS_FIX_TAGS_H\n#define CETS_FIX_TAGS_H\n\nenum fix_tag {\n");
    for (int i = 0; i < nfields; i++) {
        char item[128];
        snprintf(item, sizeof item, "TAG_%s = %u,", sorted[i].name, sorted[i].number);
        fprintf(f, "    %-36s /* %s */\n", item, sorted[i].type);
    }
    fprintf(f, "};\n\n#endif\n");
    if (fclose(f) != 0) {
        perror(out);
        exit(1);
    }
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: fix_dictgen DICTIONARY.xml tags.h\n");
        return 2;
    }
    path = argv[1];
    char *doc = slurp(path);
    read_fields(doc);
    if (!nfields)
        die(1, "no <fields>");
    write_tags(argv[2]);
    free(doc);
    return 0;
}
