/* SPDX-License-Identifier: MIT */
/* Unit tests of src/clusterd/deps.c: WSFC dependency expressions, parsed, formatted, edited. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "deps.h"
#include "macro.h"

static deps_expr *parse_ok(const char *text)
{
	deps_expr *e = NULL;
	char err[256] = "";
	int r = deps_parse(text, &e, err, sizeof(err));

	if (r != 0)
		fail_msg("deps_parse(\"%s\") = %d: %s", text, r, err);
	assert_non_null(e);
	return e;
}

/* Clause i of e holds exactly names[0..n), in that order. */
static void check_clause(const deps_expr *e, size_t i, const char *const *names, size_t n)
{
	assert_true(i < e->n_clauses);
	assert_int_equal(e->clauses[i].n_names, n);
	for (size_t j = 0; j < n; j++)
		assert_string_equal(e->clauses[i].names[j], names[j]);
}
#define CHECK_CLAUSE(e, i, ...)                                            \
	check_clause(e, i, (const char *const[]) { __VA_ARGS__ },          \
		     ELEMENTSOF(((const char *const[]) { __VA_ARGS__ })))

static bool expr_equal(const deps_expr *a, const deps_expr *b)
{
	if (a->n_clauses != b->n_clauses)
		return false;
	for (size_t i = 0; i < a->n_clauses; i++) {
		if (a->clauses[i].n_names != b->clauses[i].n_names)
			return false;
		for (size_t j = 0; j < a->clauses[i].n_names; j++)
			if (strcmp(a->clauses[i].names[j], b->clauses[i].names[j]) != 0)
				return false;
	}
	return true;
}

/* text is rejected with -EINVAL, a message containing what, and "at offset <offset>";
 * the out-parameter is left alone. */
static void check_error(const char *text, const char *what, size_t offset)
{
	deps_expr *sentinel = (deps_expr *) &sentinel, *e = sentinel;
	char err[256] = "", at[48];

	assert_int_equal(deps_parse(text, &e, err, sizeof(err)), -EINVAL);
	assert_ptr_equal(e, sentinel);
	snprintf(at, sizeof(at), "at offset %zu", offset);
	if (!strstr(err, what) || !strstr(err, at))
		fail_msg("deps_parse(\"%s\"): got \"%s\", wanted \"%s\" %s", text, err, what, at);
}

static void test_parse_single(void **state)
{
	deps_expr *e = parse_ok("[a]");

	assert_int_equal(e->n_clauses, 1);
	CHECK_CLAUSE(e, 0, "a");
	deps_free(e);
}

static void test_parse_and(void **state)
{
	deps_expr *e = parse_ok("[a] and [b]");

	assert_int_equal(e->n_clauses, 2);
	CHECK_CLAUSE(e, 0, "a");
	CHECK_CLAUSE(e, 1, "b");
	deps_free(e);
}

static void test_parse_or_group(void **state)
{
	deps_expr *e = parse_ok("([a] or [b]) and [c]");

	assert_int_equal(e->n_clauses, 2);
	CHECK_CLAUSE(e, 0, "a", "b");
	CHECK_CLAUSE(e, 1, "c");
	deps_free(e);

	e = parse_ok("([A] or [B]) and ([C] or [D] or [E])");
	assert_int_equal(e->n_clauses, 2);
	CHECK_CLAUSE(e, 0, "A", "B");
	CHECK_CLAUSE(e, 1, "C", "D", "E");
	deps_free(e);

	/* A group of one is allowed by the grammar (or_expr := name). */
	e = parse_ok("([a])");
	assert_int_equal(e->n_clauses, 1);
	CHECK_CLAUSE(e, 0, "a");
	deps_free(e);
}

static void test_parse_keywords_and_blanks(void **state)
{
	deps_expr *e = parse_ok("[a] AND ([b] Or [c]) aNd ([d] OR [e])");

	assert_int_equal(e->n_clauses, 3);
	CHECK_CLAUSE(e, 0, "a");
	CHECK_CLAUSE(e, 1, "b", "c");
	CHECK_CLAUSE(e, 2, "d", "e");
	deps_free(e);

	/* Blanks are free: none needed around brackets, any amount (tabs, newlines) allowed. */
	e = parse_ok(" \t\n[a]and([b]or[c])\r\n\tAnd  (  [d]  ) \v\f");
	assert_int_equal(e->n_clauses, 3);
	CHECK_CLAUSE(e, 0, "a");
	CHECK_CLAUSE(e, 1, "b", "c");
	CHECK_CLAUSE(e, 2, "d");
	deps_free(e);
}

static void test_parse_names(void **state)
{
	/* Anything but ']' is part of a name, verbatim, keywords and blanks included. */
	deps_expr *e = parse_ok("[SQL Server (MSSQLSERVER)] and ([IP Address 10.0.0.1/24] or "
				"[x and y]) and [ padded ] and [or] and [a[b] and [Disque été]");

	assert_int_equal(e->n_clauses, 6);
	CHECK_CLAUSE(e, 0, "SQL Server (MSSQLSERVER)");
	CHECK_CLAUSE(e, 1, "IP Address 10.0.0.1/24", "x and y");
	CHECK_CLAUSE(e, 2, " padded ");
	CHECK_CLAUSE(e, 3, "or");
	CHECK_CLAUSE(e, 4, "a[b");
	CHECK_CLAUSE(e, 5, "Disque été");
	assert_true(deps_mentions(e, "x and y"));
	assert_false(deps_mentions(e, "x"));
	assert_false(deps_mentions(e, "padded"));
	deps_free(e);
}

static void test_parse_duplicates(void **state)
{
	/* Within a clause duplicates merge (first occurrence keeps its place)... */
	deps_expr *e = parse_ok("([a] or [b] or [a] or [b]) and ([c] or [c])");

	assert_int_equal(e->n_clauses, 2);
	CHECK_CLAUSE(e, 0, "a", "b");
	CHECK_CLAUSE(e, 1, "c");
	deps_free(e);

	/* ...and names are compared exactly, as the engine does. */
	e = parse_ok("([ab] or [a] or [A] or [a ])");
	CHECK_CLAUSE(e, 0, "ab", "a", "A", "a ");
	deps_free(e);
}

static void test_parse_empty(void **state)
{
	static const char *const empties[] = { "", " ", " \t\n\r " };

	for (size_t i = 0; i < ELEMENTSOF(empties); i++) {
		deps_expr *e = parse_ok(empties[i]);
		char *s;

		assert_int_equal(e->n_clauses, 0);
		assert_true(deps_satisfied(e, NULL, NULL));
		assert_false(deps_mentions(e, "a"));
		s = deps_format(e);
		assert_non_null(s);
		assert_string_equal(s, "");
		free(s);
		deps_free(e);
	}
}

static void test_parse_errors(void **state)
{
	static const struct {
		const char *text, *what;
		size_t offset;
	} cases[] = {
		/* unbalanced brackets */
		{ "[a", "unbalanced '['", 0 },
		{ "[a] and [b", "unbalanced '['", 8 },
		{ "[a] and [b", "expected ']'", 10 },
		{ "[a]]", "unbalanced ']'", 3 },
		{ "]", "unbalanced ']'", 0 },
		/* unbalanced parentheses */
		{ "([a] or [b]", "unbalanced '('", 0 },
		{ "([a] or [b]", "expected ')'", 11 },
		{ "[x] and ([a]", "unbalanced '('", 8 },
		{ "(", "unbalanced '('", 0 },
		{ "[a])", "unbalanced ')'", 3 },
		{ ")", "unbalanced ')'", 0 },
		{ "[a] and )", "unbalanced ')'", 8 },
		/* top-level or: WSFC has none, even without an "and" around it */
		{ "[a] or [b]", "'or' outside parentheses", 4 },
		{ "[a] OR [b]", "'or' outside parentheses", 4 },
		{ "([a] or [b]) or [c]", "'or' outside parentheses", 13 },
		{ "[a] and [b] or [c]", "'or' outside parentheses", 12 },
		/* nesting and "and" inside a group */
		{ "(([a] or [b]))", "nested parentheses", 1 },
		{ "([a] or ([b] or [c]))", "nested parentheses", 8 },
		{ "([a] ([b]))", "nested parentheses", 5 },
		{ "([a] and [b])", "'and' inside parentheses", 5 },
		{ "([a] or [b] AND [c])", "'and' inside parentheses", 12 },
		{ "()", "empty parentheses", 0 },
		/* empty names */
		{ "[]", "empty resource name", 0 },
		{ "[a] and ([b] or [])", "empty resource name", 16 },
		/* trailing garbage and stray words */
		{ "[a] b", "expected 'and' or end of expression", 4 },
		{ "[a] b", "found 'b'", 4 },
		{ "[a] andy [b]", "found 'andy'", 4 },
		{ "[a] [b]", "expected 'and' or end of expression", 4 },
		{ "[a] and [b] ;", "found ';'", 12 },
		{ "a", "expected '[' or '('", 0 },
		{ "([a] or [b] [c])", "expected 'or' or ')'", 12 },
		{ "( a )", "expected '['", 2 },
		/* dangling operators */
		{ "[a] and", "dangling 'and'", 4 },
		{ "[a] and   ", "dangling 'and'", 4 },
		{ "and [a]", "expected '[' or '('", 0 },
		{ "and [a]", "found 'and'", 0 },
		{ "[a] and and [b]", "found 'and'", 8 },
		{ "([a] or)", "dangling 'or'", 5 },
		{ "([a] or", "dangling 'or'", 5 },
		{ "(or [a])", "expected '['", 1 },
	};

	for (size_t i = 0; i < ELEMENTSOF(cases); i++)
		check_error(cases[i].text, cases[i].what, cases[i].offset);
}

static void test_parse_error_buffer(void **state)
{
	deps_expr *e = NULL;
	char err[8];

	/* The message is cut to errlen bytes, NUL included; no buffer at all is fine too. */
	memset(err, 'x', sizeof(err));
	assert_int_equal(deps_parse("[a] or [b]", &e, err, sizeof(err)), -EINVAL);
	assert_int_equal(strlen(err), sizeof(err) - 1);
	assert_int_equal(deps_parse("[a] or [b]", &e, NULL, 0), -EINVAL);
	assert_int_equal(deps_parse("[a] or [b]", &e, err, 0), -EINVAL);
	assert_null(e);

	assert_int_equal(deps_parse(NULL, &e, err, sizeof(err)), -EINVAL);
	assert_int_equal(deps_parse("[a]", NULL, err, sizeof(err)), -EINVAL);
}

static void test_format_round_trip(void **state)
{
	static const struct {
		const char *text, *canonical;
	} cases[] = {
		{ "", "" },
		{ "[a]", "[a]" },
		{ "  [a]  ", "[a]" },
		{ "([a])", "[a]" },
		{ "[a]AND[b]", "[a] and [b]" },
		{ "([a] OR [b]) and [c]", "([a] or [b]) and [c]" },
		{ "[a] and ([b] or [c])", "[a] and ([b] or [c])" },
		{ "([A]or[B])And([C]oR[D])", "([A] or [B]) and ([C] or [D])" },
		{ "([a] or [a] or [b])", "([a] or [b])" },
		{ "([a] or [a])", "[a]" },
		{ "[SQL Server (X)] and ([ip 1] or [x and y])",
		  "[SQL Server (X)] and ([ip 1] or [x and y])" },
		{ "[ padded ]", "[ padded ]" },
	};

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		deps_expr *e = parse_ok(cases[i].text), *again;
		char *s = deps_format(e), *s2;

		assert_non_null(s);
		assert_string_equal(s, cases[i].canonical);
		again = parse_ok(s);
		assert_true(expr_equal(e, again));
		s2 = deps_format(again);
		assert_non_null(s2);
		assert_string_equal(s2, s);
		free(s2);
		free(s);
		deps_free(again);
		deps_free(e);
	}
}

/* userdata: a NULL-terminated list of the names that are online. */
static bool online_in(const char *name, void *userdata)
{
	for (const char *const *n = userdata; *n; n++)
		if (strcmp(*n, name) == 0)
			return true;
	return false;
}

static void test_satisfied(void **state)
{
	deps_expr *e = parse_ok("([a] or [b]) and [c]");

	assert_false(deps_satisfied(e, online_in, (const char *[]) { NULL }));
	assert_false(deps_satisfied(e, online_in, (const char *[]) { "c", NULL }));
	assert_false(deps_satisfied(e, online_in, (const char *[]) { "a", "b", NULL }));
	assert_true(deps_satisfied(e, online_in, (const char *[]) { "a", "c", NULL }));
	assert_true(deps_satisfied(e, online_in, (const char *[]) { "b", "c", NULL }));
	assert_true(deps_satisfied(e, online_in, (const char *[]) { "c", "b", "a", NULL }));
	assert_false(deps_satisfied(e, online_in, (const char *[]) { "A", "C", NULL }));
	deps_free(e);

	/* The empty expression (and no expression at all) asks nothing. */
	e = parse_ok("");
	assert_true(deps_satisfied(e, online_in, (const char *[]) { NULL }));
	deps_free(e);
	assert_true(deps_satisfied(NULL, online_in, (const char *[]) { NULL }));
}

static void test_mentions(void **state)
{
	deps_expr *e = parse_ok("([a] or [b]) and [c d]");

	assert_true(deps_mentions(e, "a"));
	assert_true(deps_mentions(e, "b"));
	assert_true(deps_mentions(e, "c d"));
	assert_false(deps_mentions(e, "c"));
	assert_false(deps_mentions(e, "A"));
	assert_false(deps_mentions(e, ""));
	assert_false(deps_mentions(e, NULL));
	assert_false(deps_mentions(NULL, "a"));
	deps_free(e);
}

static void test_add_and(void **state)
{
	deps_expr *e = parse_ok("");
	char *s;

	assert_int_equal(deps_add_and(e, "a"), 0);
	assert_int_equal(e->n_clauses, 1);
	CHECK_CLAUSE(e, 0, "a");
	/* Already a clause of its own: nothing to add. */
	assert_int_equal(deps_add_and(e, "a"), 0);
	assert_int_equal(e->n_clauses, 1);
	deps_free(e);

	/* In an OR group only: "[b] and ([b] or [c])" is a real (stronger) requirement. */
	e = parse_ok("([b] or [c])");
	assert_int_equal(deps_add_and(e, "b"), 0);
	assert_int_equal(deps_add_and(e, "b"), 0);
	assert_int_equal(deps_add_and(e, "d e"), 0);
	assert_int_equal(e->n_clauses, 3);
	CHECK_CLAUSE(e, 0, "b", "c");
	CHECK_CLAUSE(e, 1, "b");
	CHECK_CLAUSE(e, 2, "d e");
	s = deps_format(e);
	assert_string_equal(s, "([b] or [c]) and [b] and [d e]");
	free(s);

	/* Names the grammar cannot write are refused. */
	assert_int_equal(deps_add_and(e, ""), -EINVAL);
	assert_int_equal(deps_add_and(e, "x]y"), -EINVAL);
	assert_int_equal(deps_add_and(e, NULL), -EINVAL);
	assert_int_equal(deps_add_and(NULL, "a"), -EINVAL);
	assert_int_equal(e->n_clauses, 3);
	deps_free(e);
}

static void test_remove(void **state)
{
	deps_expr *e = parse_ok("([a] or [b]) and [a] and ([c] or [a] or [d]) and [e]");
	char *s;

	deps_remove(e, "a");
	assert_int_equal(e->n_clauses, 3);
	CHECK_CLAUSE(e, 0, "b");
	CHECK_CLAUSE(e, 1, "c", "d");
	CHECK_CLAUSE(e, 2, "e");
	assert_false(deps_mentions(e, "a"));
	s = deps_format(e);
	assert_string_equal(s, "[b] and ([c] or [d]) and [e]");
	free(s);

	deps_remove(e, "nobody");
	assert_int_equal(e->n_clauses, 3);
	deps_remove(e, NULL);
	deps_remove(NULL, "a");

	deps_remove(e, "b");
	deps_remove(e, "e");
	deps_remove(e, "c");
	deps_remove(e, "d");
	assert_int_equal(e->n_clauses, 0);
	assert_true(deps_satisfied(e, online_in, (const char *[]) { NULL }));
	s = deps_format(e);
	assert_string_equal(s, "");
	free(s);

	/* Still usable once emptied. */
	assert_int_equal(deps_add_and(e, "f"), 0);
	CHECK_CLAUSE(e, 0, "f");
	deps_free(e);
	deps_free(NULL);
}

/* A small resource graph: name -> expression text, parsed once per test. */
typedef struct graph {
	size_t n;
	const char *names[8];
	deps_expr *deps[8];
	const char *looked_up[16]; /* every name get_deps was asked about, in order */
	size_t n_looked_up;
} graph;

static void graph_init(graph *g, const char *const *pairs)
{
	*g = (graph) {};
	for (; pairs[0]; pairs += 2) {
		assert_true(g->n < ELEMENTSOF(g->names));
		g->names[g->n] = pairs[0];
		g->deps[g->n] = parse_ok(pairs[1]);
		g->n++;
	}
}

static void graph_done(graph *g)
{
	for (size_t i = 0; i < g->n; i++)
		deps_free(g->deps[i]);
}

static const deps_expr *graph_get(const char *name, void *userdata)
{
	graph *g = userdata;

	/* Each resource is expanded at most once, whatever loops the graph has. */
	for (size_t i = 0; i < g->n_looked_up; i++)
		if (strcmp(g->looked_up[i], name) == 0)
			fail_msg("get_deps(\"%s\") called twice", name);
	assert_true(g->n_looked_up < ELEMENTSOF(g->looked_up));
	g->looked_up[g->n_looked_up++] = name;
	for (size_t i = 0; i < g->n; i++)
		if (strcmp(g->names[i], name) == 0)
			return g->deps[i];
	return NULL;
}

static bool graph_cycle(const char *start, const char *const *pairs)
{
	graph g;
	bool cycle;

	graph_init(&g, pairs);
	cycle = deps_has_cycle(start, graph_get, &g);
	assert_true(g.n_looked_up >= 1);
	assert_string_equal(g.looked_up[0], start);
	graph_done(&g);
	return cycle;
}

static void test_cycles(void **state)
{
	static const char *const ring[] = { "a", "[b]", "b", "[c]", "c", "[a]", NULL };
	static const char *const diamond[] = { "a", "[b] and [c]", "b", "[d]", "c", "[d]",
					       "d", "", NULL };
	static const char *const self[] = { "a", "[a]", NULL };
	static const char *const via_or[] = { "a", "[x] and ([b] or [c])", "c", "[d]",
					      "d", "[a]", NULL };
	/* b and c loop between themselves, never back to a: must end, and say no. */
	static const char *const side_loop[] = { "a", "[b]", "b", "[c]", "c", "[b]", NULL };
	static const char *const chain[] = { "a", "[b]", "b", "[c]", "c", "[missing]", NULL };

	assert_true(graph_cycle("a", ring));
	assert_true(graph_cycle("b", ring));
	assert_true(graph_cycle("c", ring));
	assert_false(graph_cycle("a", diamond));
	assert_false(graph_cycle("d", diamond));
	assert_true(graph_cycle("a", self));
	assert_true(graph_cycle("a", via_or));
	assert_false(graph_cycle("a", side_loop));
	assert_true(graph_cycle("b", side_loop));
	assert_false(graph_cycle("a", chain));
	assert_false(graph_cycle("unknown", chain));
	assert_false(deps_has_cycle(NULL, graph_get, NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_single),
		cmocka_unit_test(test_parse_and),
		cmocka_unit_test(test_parse_or_group),
		cmocka_unit_test(test_parse_keywords_and_blanks),
		cmocka_unit_test(test_parse_names),
		cmocka_unit_test(test_parse_duplicates),
		cmocka_unit_test(test_parse_empty),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_parse_error_buffer),
		cmocka_unit_test(test_format_round_trip),
		cmocka_unit_test(test_satisfied),
		cmocka_unit_test(test_mentions),
		cmocka_unit_test(test_add_and),
		cmocka_unit_test(test_remove),
		cmocka_unit_test(test_cycles),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
