/* SPDX-License-Identifier: MIT */
/*
 * Dependency expressions: a recursive-descent parser for WSFC's grammar, the canonical
 * formatter, and the few queries and edits the engine needs.
 *
 * The grammar is deliberately flat (a conjunction of disjunctions, no nesting), so the parser
 * is two small loops: the top level joins parts with "and", a parenthesised group joins names
 * with "or". Everything else is rejected with the offset where parsing stopped, because the
 * text comes from an administrator and "syntax error" alone helps nobody.
 *
 * Names are kept verbatim (no trimming): WSFC resource names may contain blanks and
 * punctuation, and the engine compares them exactly.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deps.h"

typedef struct parser {
	const char *text;
	size_t pos;
	char *err;
	size_t errlen;
} parser;

static void set_err(parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_err(parser *p, const char *fmt, ...)
{
	va_list ap;

	if (!p->err || p->errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(p->err, p->errlen, fmt, ap);
	va_end(ap);
}

/* ASCII only on purpose: isspace()/isalnum() depend on the locale and take int, not char. */
static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static bool is_word(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_';
}

static char peek(const parser *p)
{
	return p->text[p->pos];
}

static void skip_blanks(parser *p)
{
	while (is_blank(peek(p)))
		p->pos++;
}

/* A keyword must stand alone: "andy" is a stray word, not "and" followed by "y". */
static bool at_keyword(const parser *p, const char *kw)
{
	size_t n = strlen(kw);

	return strncasecmp(p->text + p->pos, kw, n) == 0 && !is_word(p->text[p->pos + n]);
}

/* Describes what sits at the current position, for "found ..." in messages. */
static const char *describe(const parser *p, char *buf, size_t size)
{
	const char *s = p->text + p->pos;
	size_t n = 0;

	if (!*s)
		return "end of expression";
	while (is_word(s[n]) && n < 16)
		n++;
	if (n > 0)
		snprintf(buf, size, "'%.*s'", (int) n, s);
	else if ((unsigned char) *s >= 0x20 && (unsigned char) *s < 0x7f)
		snprintf(buf, size, "'%c'", *s);
	else
		snprintf(buf, size, "byte 0x%02x", (unsigned) (unsigned char) *s);
	return buf;
}

static void clause_done(deps_clause *c)
{
	for (size_t i = 0; i < c->n_names; i++)
		free(c->names[i]);
	free(c->names);
	*c = (deps_clause) {};
}

/* Appends name[0..len) unless the clause has it already ("[a] or [a]" is just "[a]").
 * The arrays grow one slot at a time: callers may build expressions themselves, so there
 * is no hidden capacity to rely on, and real expressions hold a handful of names. */
static int clause_add(deps_clause *c, const char *name, size_t len)
{
	char **names, *copy;

	for (size_t i = 0; i < c->n_names; i++)
		if (strncmp(c->names[i], name, len) == 0 && c->names[i][len] == '\0')
			return 0;
	copy = strndup(name, len);
	if (!copy)
		return -ENOMEM;
	names = realloc(c->names, (c->n_names + 1) * sizeof(*names));
	if (!names) {
		free(copy);
		return -ENOMEM;
	}
	names[c->n_names++] = copy;
	c->names = names;
	return 0;
}

/* Moves *c into e (c is left empty), or leaves both untouched on -ENOMEM. */
static int expr_append(deps_expr *e, deps_clause *c)
{
	deps_clause *clauses = realloc(e->clauses, (e->n_clauses + 1) * sizeof(*clauses));

	if (!clauses)
		return -ENOMEM;
	clauses[e->n_clauses++] = *c;
	e->clauses = clauses;
	*c = (deps_clause) {};
	return 0;
}

/* At '[': reads one name into c. */
static int parse_name(parser *p, deps_clause *c)
{
	size_t open = p->pos;
	const char *close = strchr(p->text + open + 1, ']');
	int r;

	if (!close) {
		set_err(p, "unbalanced '[' at offset %zu: expected ']' at offset %zu", open,
			strlen(p->text));
		return -EINVAL;
	}
	if (close == p->text + open + 1) {
		set_err(p, "empty resource name '[]' at offset %zu", open);
		return -EINVAL;
	}
	r = clause_add(c, p->text + open + 1, (size_t) (close - p->text) - open - 1);
	if (r < 0) {
		set_err(p, "out of memory");
		return r;
	}
	p->pos = (size_t) (close - p->text) + 1;
	return 0;
}

/* Where a name must follow (right after '(' or "or"): says why there is none. The caller
 * has skipped blanks; op is the keyword just read, or NULL right after '('. */
static int expect_name(parser *p, size_t group, const char *op, size_t op_pos)
{
	char buf[32];

	switch (peek(p)) {
	case '[':
		return 0;
	case '(':
		set_err(p, "nested parentheses at offset %zu: a group may only hold names, "
			   "as in ([a] or [b])",
			p->pos);
		return -EINVAL;
	case '\0':
	case ')':
		if (op) {
			set_err(p, "dangling '%s' at offset %zu: expected '[' after it", op,
				op_pos);
			return -EINVAL;
		}
		if (peek(p) == ')') {
			set_err(p, "empty parentheses at offset %zu", group);
			return -EINVAL;
		}
		set_err(p, "unbalanced '(' at offset %zu: expected ')' at offset %zu", group,
			p->pos);
		return -EINVAL;
	default:
		set_err(p, "expected '[' at offset %zu, found %s", p->pos,
			describe(p, buf, sizeof(buf)));
		return -EINVAL;
	}
}

/* At '(': reads "(" or_expr ")" into c. */
static int parse_group(parser *p, deps_clause *c)
{
	size_t open = p->pos;
	char buf[32];
	int r;

	p->pos++;
	skip_blanks(p);
	r = expect_name(p, open, NULL, 0);
	if (r < 0)
		return r;
	for (;;) {
		r = parse_name(p, c);
		if (r < 0)
			return r;
		skip_blanks(p);
		if (peek(p) == ')') {
			p->pos++;
			return 0;
		}
		if (at_keyword(p, "or")) {
			size_t op_pos = p->pos;

			p->pos += 2;
			skip_blanks(p);
			r = expect_name(p, open, "or", op_pos);
			if (r < 0)
				return r;
			continue;
		}
		if (at_keyword(p, "and"))
			set_err(p, "'and' inside parentheses at offset %zu: a group may only join "
				   "names with 'or', as in ([a] or [b]) and [c]",
				p->pos);
		else if (peek(p) == '\0')
			set_err(p, "unbalanced '(' at offset %zu: expected ')' at offset %zu", open,
				p->pos);
		else if (peek(p) == '(')
			set_err(p, "nested parentheses at offset %zu: a group may only hold names, "
				   "as in ([a] or [b])",
				p->pos);
		else
			set_err(p, "expected 'or' or ')' at offset %zu, found %s", p->pos,
				describe(p, buf, sizeof(buf)));
		return -EINVAL;
	}
}

/* Reads one top-level part (a name or a group) and appends it to e as a clause. and_pos is
 * the offset of the "and" before it, or SIZE_MAX for the first part. */
static int parse_part(parser *p, deps_expr *e, size_t and_pos)
{
	deps_clause c = {};
	char buf[32];
	int r;

	skip_blanks(p);
	switch (peek(p)) {
	case '[':
		r = parse_name(p, &c);
		break;
	case '(':
		r = parse_group(p, &c);
		break;
	case ')':
		set_err(p, "unbalanced ')' at offset %zu", p->pos);
		return -EINVAL;
	case ']':
		set_err(p, "unbalanced ']' at offset %zu", p->pos);
		return -EINVAL;
	case '\0':
		/* Only after "and": deps_parse handles the empty expression itself. */
		if (and_pos != SIZE_MAX)
			set_err(p, "dangling 'and' at offset %zu: expected '[' or '(' after it",
				and_pos);
		else
			set_err(p, "expected '[' or '(' at offset %zu, found end of expression",
				p->pos);
		return -EINVAL;
	default:
		set_err(p, "expected '[' or '(' at offset %zu, found %s", p->pos,
			describe(p, buf, sizeof(buf)));
		return -EINVAL;
	}
	if (r >= 0) {
		r = expr_append(e, &c);
		if (r < 0)
			set_err(p, "out of memory");
	}
	clause_done(&c);
	return r;
}

static int parse_expr(parser *p, deps_expr *e)
{
	size_t and_pos = SIZE_MAX;
	char buf[32];
	int r;

	for (;;) {
		r = parse_part(p, e, and_pos);
		if (r < 0)
			return r;
		skip_blanks(p);
		if (peek(p) == '\0')
			return 0;
		if (at_keyword(p, "and")) {
			and_pos = p->pos;
			p->pos += 3;
			continue;
		}
		/* The one mistake worth its own message: WSFC has no top-level "or", and reading
		 * "[a] or [b] and [c]" with some precedence would guess at the author's intent. */
		if (at_keyword(p, "or"))
			set_err(p, "'or' outside parentheses at offset %zu: only a conjunction of "
				   "disjunctions is allowed, as in ([a] or [b]) and [c]",
				p->pos);
		else if (peek(p) == ')')
			set_err(p, "unbalanced ')' at offset %zu", p->pos);
		else if (peek(p) == ']')
			set_err(p, "unbalanced ']' at offset %zu", p->pos);
		else
			set_err(p, "expected 'and' or end of expression at offset %zu, found %s",
				p->pos, describe(p, buf, sizeof(buf)));
		return -EINVAL;
	}
}

int deps_parse(const char *text, deps_expr **ret, char *err, size_t errlen)
{
	parser p = { .text = text, .err = err, .errlen = errlen };
	deps_expr *e;
	int r;

	if (!text || !ret) {
		set_err(&p, "invalid arguments");
		return -EINVAL;
	}
	e = calloc(1, sizeof(*e));
	if (!e) {
		set_err(&p, "out of memory");
		return -ENOMEM;
	}
	skip_blanks(&p);
	if (peek(&p) != '\0') {
		r = parse_expr(&p, e);
		if (r < 0) {
			deps_free(e);
			return r;
		}
	}
	*ret = e;
	return 0;
}

char *deps_format(const deps_expr *e)
{
	size_t len = 0, n_clauses = e ? e->n_clauses : 0;
	char *s, *q;

	/* Measure first, then write: one allocation, no partial strings to clean up. A clause
	 * without names cannot be written in the grammar (deps_remove never leaves one), so it
	 * is skipped here as it is in the " and " count. */
	for (size_t i = 0; i < n_clauses; i++) {
		const deps_clause *c = &e->clauses[i];

		if (c->n_names == 0)
			continue;
		if (len > 0)
			len += strlen(" and ");
		if (c->n_names > 1)
			len += 2 + (c->n_names - 1) * strlen(" or ");
		for (size_t j = 0; j < c->n_names; j++)
			len += strlen(c->names[j]) + 2;
	}
	s = malloc(len + 1);
	if (!s)
		return NULL;
	q = s;
	for (size_t i = 0; i < n_clauses; i++) {
		const deps_clause *c = &e->clauses[i];

		if (c->n_names == 0)
			continue;
		if (q != s)
			q = stpcpy(q, " and ");
		if (c->n_names > 1)
			*q++ = '(';
		for (size_t j = 0; j < c->n_names; j++) {
			if (j > 0)
				q = stpcpy(q, " or ");
			*q++ = '[';
			q = stpcpy(q, c->names[j]);
			*q++ = ']';
		}
		if (c->n_names > 1)
			*q++ = ')';
	}
	*q = '\0';
	return s;
}

bool deps_satisfied(const deps_expr *e, bool (*is_online)(const char *name, void *userdata),
		    void *userdata)
{
	if (!e)
		return true;
	for (size_t i = 0; i < e->n_clauses; i++) {
		const deps_clause *c = &e->clauses[i];
		bool any = false;

		/* Without a callback nothing can be known online: refuse rather than start a
		 * resource whose dependencies may be down. */
		for (size_t j = 0; j < c->n_names && is_online && !any; j++)
			any = is_online(c->names[j], userdata);
		if (!any)
			return false;
	}
	return true;
}

bool deps_mentions(const deps_expr *e, const char *name)
{
	if (!e || !name)
		return false;
	for (size_t i = 0; i < e->n_clauses; i++)
		for (size_t j = 0; j < e->clauses[i].n_names; j++)
			if (strcmp(e->clauses[i].names[j], name) == 0)
				return true;
	return false;
}

int deps_add_and(deps_expr *e, const char *name)
{
	deps_clause c = {};
	int r;

	/* A name the grammar cannot write would make deps_format produce text that does not
	 * parse back, so it is misuse like a NULL pointer. */
	if (!e || !name || !*name || strchr(name, ']'))
		return -EINVAL;
	for (size_t i = 0; i < e->n_clauses; i++)
		if (e->clauses[i].n_names == 1 && strcmp(e->clauses[i].names[0], name) == 0)
			return 0;
	r = clause_add(&c, name, strlen(name));
	if (r >= 0)
		r = expr_append(e, &c);
	clause_done(&c);
	return r;
}

void deps_remove(deps_expr *e, const char *name)
{
	size_t kept = 0;

	if (!e || !name)
		return;
	for (size_t i = 0; i < e->n_clauses; i++) {
		deps_clause *c = &e->clauses[i];
		size_t n = 0;

		for (size_t j = 0; j < c->n_names; j++)
			if (strcmp(c->names[j], name) == 0)
				free(c->names[j]);
			else
				c->names[n++] = c->names[j];
		c->n_names = n;
		if (n == 0)
			clause_done(c);
		else
			e->clauses[kept++] = *c;
	}
	e->n_clauses = kept;
	if (kept == 0) {
		free(e->clauses);
		e->clauses = NULL;
	}
}

void deps_free(deps_expr *e)
{
	if (!e)
		return;
	for (size_t i = 0; i < e->n_clauses; i++)
		clause_done(&e->clauses[i]);
	free(e->clauses);
	free(e);
}

/* Has seen[0..n) got name? Linear: a group holds tens of resources, not thousands. */
static bool seen_has(const char *const *seen, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(seen[i], name) == 0)
			return true;
	return false;
}

bool deps_has_cycle(const char *start,
		    const deps_expr *(*get_deps)(const char *name, void *userdata),
		    void *userdata)
{
	const char **seen, **grown;
	size_t n = 1, cap = 8;
	bool cycle = false;

	if (!start || !get_deps)
		return false;
	/*
	 * Breadth-first walk where seen[] is both the visited set and the queue: seen[i] is
	 * expanded once, i runs up to n. Visiting each name once is what makes the walk end on
	 * graphs that have a cycle not passing through start. The strings belong to the
	 * expressions get_deps returns, which must stay alive for the duration of the call.
	 */
	seen = malloc(cap * sizeof(*seen));
	if (!seen)
		return true; /* out of memory: claim a cycle, so the caller refuses the change */
	seen[0] = start;
	for (size_t i = 0; i < n && !cycle; i++) {
		const deps_expr *e = get_deps(seen[i], userdata);

		for (size_t c = 0; e && c < e->n_clauses && !cycle; c++)
			for (size_t j = 0; j < e->clauses[c].n_names && !cycle; j++) {
				const char *d = e->clauses[c].names[j];

				if (strcmp(d, start) == 0) {
					cycle = true;
					continue;
				}
				if (seen_has(seen, n, d))
					continue;
				if (n == cap) {
					grown = realloc(seen, 2 * cap * sizeof(*seen));
					if (!grown) {
						cycle = true; /* as above: refuse */
						continue;
					}
					seen = grown;
					cap *= 2;
				}
				seen[n++] = d;
			}
	}
	free(seen);
	return cycle;
}
