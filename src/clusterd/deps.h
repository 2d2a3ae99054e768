/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * Dependency expressions, WSFC's SetClusterResourceDependencyExpression grammar: a conjunction
 * of disjunctions of resource names in brackets.
 *
 *   expr    := part | expr "and" part
 *   part    := name | "(" or_expr ")"
 *   or_expr := name | or_expr "or" name
 *   name    := "[" any characters except "]" "]"
 *
 * Keywords are case-insensitive, blanks are free. The empty string (or only blanks) is the
 * empty expression: no dependencies. Pure code: no I/O, no logging.
 */

#include <stdbool.h>
#include <stddef.h>

typedef struct deps_clause {
	char **names;   /* the OR-ed resource names */
	size_t n_names;
} deps_clause;

typedef struct deps_expr {
	deps_clause *clauses; /* AND-ed */
	size_t n_clauses;
} deps_expr;

/* Parses text. Returns 0 and a new expression in *ret (free with deps_free), or -EINVAL with a
 * message (at most errlen bytes, e.g. "expected ']' at offset 7") in err. Duplicate names
 * within a clause are merged; a name may not be empty. */
int deps_parse(const char *text, deps_expr **ret, char *err, size_t errlen);

/* Formats the canonical text: "[a] and ([b] or [c])" (single names without parentheses).
 * Returns a new string (caller frees), "" for the empty expression, or NULL on ENOMEM. */
char *deps_format(const deps_expr *e);

/* True if every clause has at least one name for which is_online(name, userdata) is true
 * (the empty expression is satisfied). */
bool deps_satisfied(const deps_expr *e, bool (*is_online)(const char *name, void *userdata),
		    void *userdata);

/* True if name appears anywhere in e. */
bool deps_mentions(const deps_expr *e, const char *name);

/* Adds "and [name]" unless name already is a clause of its own. Returns 0 or -ENOMEM. */
int deps_add_and(deps_expr *e, const char *name);

/* Removes name from every clause; clauses left empty disappear. */
void deps_remove(deps_expr *e, const char *name);

/* Frees; accepts NULL. */
void deps_free(deps_expr *e);

/*
 * Cycle check over a set of resources: get_deps(name, userdata) returns the expression of a
 * resource (or NULL if none). Returns true if following dependencies from start reaches start
 * again.
 */
bool deps_has_cycle(const char *start,
		    const deps_expr *(*get_deps)(const char *name, void *userdata),
		    void *userdata);
