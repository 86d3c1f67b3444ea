/* fix_dictgen.c -- the FIX gateway's tag constants and compiled dictionary,
 * from its data dictionary.
 *
 *   fix_dictgen DICTIONARY.xml tags.h dict_table.c [fix.md]
 *
 * Reads docs/fix/CETS-FIX44.xml (QuickFIX's format, as published to members)
 * and writes src/fix/tags.h, every field as TAG_<FIX name> = number,
 * src/fix/dict_table.c, the tables every incoming message is validated
 * against (dict.h), and, given docs/fix.md, the dictionary's tables in it
 * (between the markers DOC_BEGIN and DOC_END below). The XML stays the one
 * source of truth: CMake's target fix_dict regenerates all three in the
 * source tree, and the test fix_dict_sync fails when the committed files are
 * not what this program makes of the XML.
 *
 * The reader knows exactly the subset of XML the dictionary uses: elements
 * with double-quoted attributes, comments and the <?xml?> declaration; no
 * entities, no CDATA, no components. Anything else is an error naming the
 * line, as is a field used but not defined, or a type the validator does
 * not know.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdint.h>
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

#define MAX_VALUES 64
#define MAX_MEMBERS 64
#define MAX_GROUPS 64
#define MAX_MSGS 64

typedef struct field {
    unsigned number;
    char name[64], type[32];
    char values[MAX_VALUES][32];
    int nvalues;
    int slot;  /* 1.. in order of number */
    int where; /* 0 body, 1 header, 2 trailer */
} field;

struct group;
typedef struct member {
    int field; /* index in fields[] */
    int required;
    struct group *group; /* a NumInGroup field that opens a group */
} member;

typedef struct group {
    char owner[64]; /* message name and field, for the C names */
    member m[MAX_MEMBERS];
    int n, id;
} group;

typedef struct msg {
    char name[64], type[8];
    int admin;
    member m[MAX_MEMBERS];
    int n;
} msg;

static const char *path;
static field fields[MAX_FIELDS];
static int nfields;
static group groups[MAX_GROUPS];
static int ngroups;
static msg msgs[MAX_MSGS];
static int nmsgs;
static member header[MAX_MEMBERS], trailer[MAX_MEMBERS];
static int nheader, ntrailer;
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
        if (!strcmp(t->a[i].name, name)) return t->a[i].val;
    return NULL;
}

static const char *attr_need(const xtag *t, const char *name)
{
    const char *v = attr_get(t, name);
    if (!v) die(t->line, "<%s> without %s=\"...\"", t->name, name);
    return v;
}

/* The next tag from *p (text between tags is skipped); 0 at the end. */
static int next_tag(const char **p, int *line, xtag *t)
{
    const char *s = *p;
    for (;;) {
        while (*s && *s != '<') {
            if (*s == '\n') (*line)++;
            s++;
        }
        if (!*s) return 0;
        if (!strncmp(s, "<!--", 4) || !strncmp(s, "<?", 2)) {
            const char *end = strstr(s, s[1] == '!' ? "-->" : "?>");
            if (!end) die(*line, "unterminated comment or declaration");
            for (; s < end; s++)
                if (*s == '\n') (*line)++;
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
    if (!n) die(*line, "expected an element name");
    for (;;) {
        while (isspace((unsigned char)*s))
            if (*s++ == '\n') (*line)++;
        if (*s == '>') {
            s++;
            break;
        }
        if (s[0] == '/' && s[1] == '>') {
            t->empty = 1;
            s += 2;
            break;
        }
        if (t->na == MAX_ATTRS) die(*line, "too many attributes");
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
        if (*s != '"') die(*line, "unterminated attribute value");
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
        if ((n += r) + 1 == cap) b = realloc(b, cap *= 2);
    fclose(f);
    if (!b) {
        fprintf(stderr, "fix_dictgen: out of memory\n");
        exit(1);
    }
    b[n] = 0;
    return b;
}

/* The <fields> section: number, name, type and values of every field. */
static void read_fields(const char *doc)
{
    const char *p = doc;
    int line = 1, in_fields = 0;
    field *cur = NULL;
    xtag t;
    while (next_tag(&p, &line, &t)) {
        if (!strcmp(t.name, "fields") && !t.empty) {
            in_fields = !t.closing;
            continue;
        }
        if (!in_fields) continue;
        if (!strcmp(t.name, "field") && t.closing) {
            cur = NULL;
            continue;
        }
        if (!strcmp(t.name, "value")) {
            if (!cur) die(t.line, "<value> outside a <field>");
            if (cur->nvalues == MAX_VALUES) die(t.line, "field %s: too many values", cur->name);
            snprintf(cur->values[cur->nvalues++], sizeof cur->values[0], "%s",
                     attr_need(&t, "enum"));
            continue;
        }
        if (strcmp(t.name, "field") != 0) die(t.line, "unexpected <%s> in <fields>", t.name);
        if (nfields == MAX_FIELDS) die(t.line, "too many fields");
        field *f = &fields[nfields++];
        f->number = (unsigned)strtoul(attr_need(&t, "number"), NULL, 10);
        snprintf(f->name, sizeof f->name, "%s", attr_need(&t, "name"));
        snprintf(f->type, sizeof f->type, "%s", attr_need(&t, "type"));
        if (!f->number) die(t.line, "field %s: bad number", f->name);
        for (int i = 0; i < nfields - 1; i++)
            if (fields[i].number == f->number || !strcmp(fields[i].name, f->name))
                die(t.line, "field %s (%u) defined twice", f->name, f->number);
        cur = t.empty ? NULL : f;
    }
}

static int field_by_name(const char *name, int line)
{
    for (int i = 0; i < nfields; i++)
        if (!strcmp(fields[i].name, name)) return i;
    die(line, "field %s is used but not defined in <fields>", name);
    return -1;
}

/* Header, trailer and messages, with their (nested) groups. */
static void read_layout(const char *doc)
{
    const char *p = doc;
    int line = 1, depth = 0, in_fields = 0;
    member *list = NULL;
    int *count = NULL;
    struct {
        member *list;
        int *count;
    } stack[8];
    xtag t;
    while (next_tag(&p, &line, &t)) {
        const char *n = t.name;
        if (!strcmp(n, "fields") && !t.empty) {
            in_fields = !t.closing;
            continue;
        }
        if (in_fields || !strcmp(n, "fix") || !strcmp(n, "messages") || !strcmp(n, "components"))
            continue;
        if (!strcmp(n, "component")) die(t.line, "components are not supported: list the fields");
        if (t.closing) {
            if (!strcmp(n, "group")) {
                if (!depth) die(t.line, "</group> without <group>");
                depth--;
                list = stack[depth].list;
                count = stack[depth].count;
            } else {
                list = NULL;
                count = NULL;
            }
            continue;
        }
        if (!strcmp(n, "header") || !strcmp(n, "trailer")) {
            list = n[0] == 'h' ? header : trailer;
            count = n[0] == 'h' ? &nheader : &ntrailer;
            continue;
        }
        if (!strcmp(n, "message")) {
            if (nmsgs == MAX_MSGS) die(t.line, "too many messages");
            msg *m = &msgs[nmsgs++];
            snprintf(m->name, sizeof m->name, "%s", attr_need(&t, "name"));
            snprintf(m->type, sizeof m->type, "%s", attr_need(&t, "msgtype"));
            m->admin = !strcmp(attr_need(&t, "msgcat"), "admin");
            list = m->m;
            count = &m->n;
            continue;
        }
        if (strcmp(n, "field") != 0 && strcmp(n, "group") != 0) die(t.line, "unexpected <%s>", n);
        if (!list) die(t.line, "<%s> outside a header, trailer, message or group", n);
        if (*count == MAX_MEMBERS) die(t.line, "too many fields in one place");
        member *m = &list[(*count)++];
        m->field = field_by_name(attr_need(&t, "name"), t.line);
        const char *req = attr_need(&t, "required");
        m->required = !strcmp(req, "Y");
        if (!m->required && strcmp(req, "N") != 0) die(t.line, "required must be Y or N");
        if (!strcmp(n, "group")) {
            if (strcmp(fields[m->field].type, "NUMINGROUP") != 0)
                die(t.line, "group %s: not a NUMINGROUP field", fields[m->field].name);
            if (ngroups == MAX_GROUPS || depth == 8)
                die(t.line, "too many or too deeply nested groups");
            group *g = &groups[ngroups];
            g->id = ngroups++;
            snprintf(g->owner, sizeof g->owner, "%s", fields[m->field].name);
            m->group = g;
            stack[depth].list = list;
            stack[depth].count = count;
            depth++;
            list = g->m;
            count = &g->n;
            if (t.empty) die(t.line, "an empty group");
        }
    }
}

static int by_number(const void *a, const void *b)
{
    unsigned x = ((const field *)a)->number, y = ((const field *)b)->number;
    return x < y ? -1 : x > y;
}

static FILE *out_open(const char *out)
{
    FILE *f = fopen(out, "w");
    if (!f) {
        perror(out);
        exit(1);
    }
    return f;
}

static void out_close(FILE *f, const char *out)
{
    if (fclose(f) != 0) {
        perror(out);
        exit(1);
    }
}

static void write_tags(const char *out)
{
    FILE *f = out_open(out);
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
    out_close(f, out);
}

static const char *vtype(const field *fd)
{
    static const char *const map[][2] = {
        {"STRING", "FIX_T_STRING"},   {"CHAR", "FIX_T_CHAR"},
        {"BOOLEAN", "FIX_T_BOOLEAN"}, {"INT", "FIX_T_INT"},
        {"SEQNUM", "FIX_T_UINT"},     {"LENGTH", "FIX_T_UINT"},
        {"NUMINGROUP", "FIX_T_UINT"}, {"QTY", "FIX_T_FLOAT"},
        {"PRICE", "FIX_T_FLOAT"},     {"AMT", "FIX_T_FLOAT"},
        {"FLOAT", "FIX_T_FLOAT"},     {"UTCTIMESTAMP", "FIX_T_UTCTIMESTAMP"},
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (!strcmp(fd->type, map[i][0])) return map[i][1];
    die(0, "field %s: type %s is not one the validator knows (dict.h)", fd->name, fd->type);
    return NULL;
}

static void write_members(FILE *f, const char *cname, const member *m, int n)
{
    fprintf(f, "static const fix_member_def %s[] = {\n", cname);
    for (int i = 0; i < n; i++) {
        const field *fd = &fields[m[i].field];
        fprintf(f, "    {%d, %s, ", fd->slot, m[i].required ? "true" : "false");
        if (m[i].group)
            fprintf(f, "&g%d}, /* %s, group */\n", m[i].group->id, fd->name);
        else
            fprintf(f, "NULL}, /* %s */\n", fd->name);
    }
    fprintf(f, "};\n");
}

static void bits_set(uint64_t *w, int slot)
{
    w[slot / 64] |= 1ull << (slot % 64);
}

static void bits_print(FILE *f, const uint64_t *w)
{
    fprintf(f, "{0x%llxull, 0x%llxull, 0x%llxull, 0x%llxull}", (unsigned long long)w[0],
            (unsigned long long)w[1], (unsigned long long)w[2], (unsigned long long)w[3]);
}

static void write_table(const char *out)
{
    if (nfields > 64 * 4 - 1) die(0, "more fields than dict.h's FIX_SLOT_WORDS hold");
    FILE *f = out_open(out);
    fprintf(f, "/* dict_table.c -- the data dictionary as tables (dict.h).\n"
               " *\n"
               " * Generated by scripts/fix_dictgen.c from docs/fix/CETS-FIX44.xml; do not\n"
               " * edit: change the XML and run `cmake --build build --target fix_dict`.\n"
               " */\n"
               "#include <stddef.h>\n\n#include \"dict.h\"\n\n");
    for (int i = 0; i < nfields; i++)
        if (fields[i].nvalues) {
            fprintf(f, "static const char *const v%u[] = {", fields[i].number);
            for (int k = 0; k < fields[i].nvalues; k++)
                fprintf(f, "%s\"%s\"", k ? ", " : "", fields[i].values[k]);
            fprintf(f, "};\n");
        }
    fprintf(f, "\nconst fix_field_def fix_dict_fields[] = {\n    {0, NULL, 0, 0, 0, NULL},\n");
    for (int i = 0; i < nfields; i++) {
        const field *fd = &fields[i];
        static const char *const where[] = {"FIX_IN_BODY", "FIX_IN_HEADER", "FIX_IN_TRAILER"};
        fprintf(f, "    {%u, \"%s\", %s, %s, %d, ", fd->number, fd->name, vtype(fd),
                where[fd->where], fd->nvalues);
        if (fd->nvalues)
            fprintf(f, "v%u},\n", fd->number);
        else
            fprintf(f, "NULL},\n");
    }
    fprintf(f, "};\nconst uint16_t fix_dict_nfields = %d;\n\n", nfields);
    fprintf(f, "const uint16_t fix_dict_slot_lo[1024] = {\n");
    for (int i = 0; i < nfields; i++)
        if (fields[i].number < 1024)
            fprintf(f, "    [%u] = %d,\n", fields[i].number, fields[i].slot);
    fprintf(f, "};\nconst uint16_t fix_dict_slot_hi[64] = {\n");
    for (int i = 0; i < nfields; i++)
        if (fields[i].number >= 1024) {
            if (fields[i].number < 20000 || fields[i].number >= 20064)
                die(0, "field %s: custom tags must be 20000-20063", fields[i].name);
            fprintf(f, "    [%u] = %d, /* %u */\n", fields[i].number - 20000, fields[i].slot,
                    fields[i].number);
        }
    fprintf(f, "};\n\n");
    /* groups innermost first: a group refers to the groups it contains */
    for (int g = ngroups - 1; g >= 0; g--) {
        char cname[96];
        snprintf(cname, sizeof cname, "g%d_m", g);
        write_members(f, cname, groups[g].m, groups[g].n);
        fprintf(f, "static const fix_group_def g%d = {%d, g%d_m}; /* %s */\n\n", g, groups[g].n, g,
                groups[g].owner);
    }
    /* the header without what framing checks: BeginString, BodyLength, MsgType */
    member h[MAX_MEMBERS] = {{0}};
    int nh = 0;
    for (int i = 0; i < nheader; i++)
        if (fields[header[i].field].number != 8 && fields[header[i].field].number != 9 &&
            fields[header[i].field].number != 35)
            h[nh++] = header[i];
    write_members(f, "header_m", h, nh);
    for (int i = 0; i < nmsgs; i++) {
        char cname[96];
        snprintf(cname, sizeof cname, "m_%.63s", msgs[i].name);
        write_members(f, cname, msgs[i].m, msgs[i].n);
    }
    uint64_t hreq[4] = {0}, framed[4] = {0};
    for (int i = 0; i < nh; i++)
        if (h[i].required) bits_set(hreq, fields[h[i].field].slot);
    for (int i = 0; i < nfields; i++) /* what framing has checked: a second one is a repeat */
        if (fields[i].number == 8 || fields[i].number == 9 || fields[i].number == 35 ||
            fields[i].number == 10)
            bits_set(framed, fields[i].slot);
    fprintf(f,
            "\nconst fix_member_def *const fix_dict_header = header_m;\n"
            "const uint16_t fix_dict_nheader = %d;\n",
            nh);
    fprintf(f, "const uint64_t fix_dict_header_required[FIX_SLOT_WORDS] = ");
    bits_print(f, hreq);
    fprintf(f, ";\nconst uint64_t fix_dict_framed[FIX_SLOT_WORDS] = ");
    bits_print(f, framed);
    fprintf(f, ";\n\nconst fix_msg_def fix_dict_msgs[] = {\n");
    for (int i = 0; i < nmsgs; i++) {
        const msg *m = &msgs[i];
        uint64_t w[4] = {0}, req[4] = {0};
        for (int k = 0; k < m->n; k++) {
            bits_set(w, fields[m->m[k].field].slot);
            if (m->m[k].required) bits_set(req, fields[m->m[k].field].slot);
        }
        fprintf(f, "    {\"%s\", \"%s\", %s, %d, m_%s,\n     ", m->type, m->name,
                m->admin ? "true" : "false", m->n, m->name);
        bits_print(f, w);
        fprintf(f, ",\n     ");
        bits_print(f, req);
        fprintf(f, "},\n");
    }
    fprintf(f, "};\nconst uint16_t fix_dict_nmsgs = %d;\n", nmsgs);
    out_close(f, out);
}

#define DOC_BEGIN                                                                                  \
    "<!-- dictionary: generated by scripts/fix_dictgen.c from docs/fix/CETS-FIX44.xml -->\n"
#define DOC_END "<!-- end of dictionary -->\n"

static void doc_members(char **p, size_t *left, const member *m, int n)
{
    for (int i = 0; i < n; i++) {
        int w = snprintf(*p, *left, "%s%u%s", i ? ", " : "", fields[m[i].field].number,
                         m[i].required ? "*" : "");
        *p += w, *left -= (size_t)w;
        if (m[i].group) {
            w = snprintf(*p, *left, " {");
            *p += w, *left -= (size_t)w;
            doc_members(p, left, m[i].group->m, m[i].group->n);
            w = snprintf(*p, *left, "}");
            *p += w, *left -= (size_t)w;
        }
    }
}

/* The dictionary as two tables, in place of what is between the markers. */
static void write_doc(const char *file)
{
    char *old = slurp(file);
    char *b = strstr(old, DOC_BEGIN), *e = b ? strstr(b, DOC_END) : NULL;
    if (!b || !e) die(0, "%s: no \"%.40s...\" and \"%.20s...\" markers", file, DOC_BEGIN, DOC_END);
    FILE *f = out_open(file);
    fwrite(old, 1, (size_t)(b - old) + strlen(DOC_BEGIN), f);
    static char line[8192];
    fprintf(f, "\n| MsgType | message | fields (* required; {...} the entries of a repeating "
               "group) |\n|---|---|---|\n");
    char *p = line;
    size_t left = sizeof line;
    doc_members(&p, &left, header, nheader);
    fprintf(f, "| | header | %s |\n", line);
    for (int i = 0; i < nmsgs; i++) {
        p = line, left = sizeof line;
        line[0] = 0;
        doc_members(&p, &left, msgs[i].m, msgs[i].n);
        fprintf(f, "| %s | %s | %s |\n", msgs[i].type, msgs[i].name, line);
    }
    p = line, left = sizeof line;
    doc_members(&p, &left, trailer, ntrailer);
    fprintf(f, "| | trailer | %s |\n\n| tag | field | type | values |\n|---|---|---|---|\n", line);
    for (int i = 0; i < nfields; i++) {
        fprintf(f, "| %u | %s | %s | ", fields[i].number, fields[i].name, fields[i].type);
        for (int k = 0; k < fields[i].nvalues; k++)
            fprintf(f, "%s`%s`", k ? " " : "", fields[i].values[k]);
        fprintf(f, " |\n");
    }
    fprintf(f, "\n");
    fputs(e, f);
    out_close(f, file);
    free(old);
}

int main(int argc, char **argv)
{
    if (argc != 4 && argc != 5) {
        fprintf(stderr, "usage: fix_dictgen DICTIONARY.xml tags.h dict_table.c [fix.md]\n");
        return 2;
    }
    path = argv[1];
    char *doc = slurp(path);
    read_fields(doc);
    if (!nfields) die(1, "no <fields>");
    write_tags(argv[2]);
    qsort(fields, (size_t)nfields, sizeof *fields, by_number); /* slot = index + 1 */
    for (int i = 0; i < nfields; i++) fields[i].slot = i + 1;
    read_layout(doc);
    for (int i = 0; i < nheader; i++) fields[header[i].field].where = 1;
    for (int i = 0; i < ntrailer; i++) fields[trailer[i].field].where = 2;
    write_table(argv[3]);
    if (argc == 5) write_doc(argv[4]);
    free(doc);
    return 0;
}
