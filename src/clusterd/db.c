/* SPDX-License-Identifier: MIT */
#include "db.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <sqlite3.h>

struct db {
	sqlite3 *sql;
	/* The cluster log has a connection of its own with synchronous=NORMAL: log lines are
	 * not acknowledged changes, and an fsync per line would sit on the restart path. WAL
	 * keeps them safe from a crash of the daemon; a power loss may lose the last ones. */
	sqlite3 *log;
	struct db *logview; /* {.sql = log}: lets the helpers below run on the log connection */
	unsigned depth;     /* nested db_begin calls: the outer one is the transaction */
};

static const char schema[] =
	"CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
	"CREATE TABLE IF NOT EXISTS types(seq INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  name TEXT UNIQUE NOT NULL, dll TEXT NOT NULL, props TEXT NOT NULL);"
	"CREATE TABLE IF NOT EXISTS groups(seq INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  name TEXT UNIQUE NOT NULL, props TEXT NOT NULL);"
	"CREATE TABLE IF NOT EXISTS resources(seq INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  name TEXT UNIQUE NOT NULL,"
	"  type TEXT NOT NULL REFERENCES types(name),"
	"  grp TEXT NOT NULL REFERENCES groups(name),"
	"  props TEXT NOT NULL, params TEXT NOT NULL, deps TEXT NOT NULL DEFAULT '',"
	"  persistent INTEGER NOT NULL DEFAULT 0);"
	"CREATE TABLE IF NOT EXISTS log(seq INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  time_us INTEGER NOT NULL, level INTEGER NOT NULL, object TEXT NOT NULL,"
	"  message TEXT NOT NULL);"
	"CREATE INDEX IF NOT EXISTS log_object ON log(object, seq);"
	/* Many nodes: which node owns each group, and which nodes are paused. */
	"CREATE TABLE IF NOT EXISTS placement(grp TEXT PRIMARY KEY, owner INTEGER NOT NULL);"
	"CREATE TABLE IF NOT EXISTS nodes(id INTEGER PRIMARY KEY, paused INTEGER NOT NULL);";

const char *db_errmsg(db *d)
{
	return d && d->sql ? sqlite3_errmsg(d->sql) : "no database";
}

static int map_error(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_DONE:
	case SQLITE_ROW:
		return 0;
	case SQLITE_CONSTRAINT:
		return -EEXIST;
	case SQLITE_NOMEM:
		return -ENOMEM;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -EBUSY;
	case SQLITE_FULL:
		return -ENOSPC;
	case SQLITE_READONLY:
	case SQLITE_PERM:
	case SQLITE_AUTH:
		return -EACCES;
	default:
		return -EIO;
	}
}

static int exec(db *d, const char *sql)
{
	return map_error(sqlite3_exec(d->sql, sql, NULL, NULL, NULL));
}

int db_open(const char *path, db **ret)
{
	db *d = calloc(1, sizeof(*d));
	int r;

	if (!d)
		return -ENOMEM;
	r = map_error(sqlite3_open_v2(path, &d->sql,
				      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
					      SQLITE_OPEN_NOMUTEX,
				      NULL));
	/* WAL: readers never block the writer. FULL: the WAL is synced at every commit, so an
	 * acknowledged change survives power loss, not only a crash of the daemon. */
	if (r == 0)
		r = exec(d, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
			    "PRAGMA foreign_keys=ON; PRAGMA busy_timeout=5000;");
	if (r == 0)
		r = exec(d, schema);
	if (r == 0)
		r = map_error(sqlite3_open_v2(path, &d->log, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
					      NULL));
	if (r == 0)
		r = map_error(sqlite3_exec(d->log, "PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000;",
					   NULL, NULL, NULL));
	if (r == 0 && !(d->logview = calloc(1, sizeof(*d->logview))))
		r = -ENOMEM;
	if (r < 0) {
		db_close(d);
		return r == -EEXIST ? -EIO : r;
	}
	d->logview->sql = d->log;
	*ret = d;
	return 0;
}

void db_close(db *d)
{
	if (!d)
		return;
	sqlite3_close(d->log);
	sqlite3_close(d->sql);
	free(d->logview);
	free(d);
}

/* Nested calls become savepoints inside the outer transaction, so a change that is one
 * transaction alone (a group's PersistentState) can also be part of a larger one (a change
 * that arrived from the cluster together with its version). */
int db_begin(db *d)
{
	char sql[48];
	int r;

	if (d->depth == 0)
		r = exec(d, "BEGIN IMMEDIATE");
	else {
		snprintf(sql, sizeof(sql), "SAVEPOINT s%u", d->depth);
		r = exec(d, sql);
	}
	if (r == 0)
		d->depth++;
	return r;
}

int db_commit(db *d)
{
	char sql[48];
	int r;

	if (d->depth == 0)
		return -EINVAL;
	if (d->depth == 1)
		r = exec(d, "COMMIT");
	else {
		snprintf(sql, sizeof(sql), "RELEASE s%u", d->depth - 1);
		r = exec(d, sql);
	}
	if (r == 0)
		d->depth--;
	return r;
}

void db_rollback(db *d)
{
	char sql[64];

	if (d->depth == 0)
		return;
	if (d->depth == 1) {
		(void) exec(d, "ROLLBACK");
	} else {
		snprintf(sql, sizeof(sql), "ROLLBACK TO s%u; RELEASE s%u", d->depth - 1, d->depth - 1);
		(void) exec(d, sql);
	}
	d->depth--;
}

/* Prepares sql and binds the arguments: 's' text (NULL → NULL), 'j' json-c object (as text),
 * 'i' int64, 'b' bool. */
static int vprepare(db *d, sqlite3_stmt **st, const char *sql, const char *types, va_list ap)
{
	int rc = sqlite3_prepare_v2(d->sql, sql, -1, st, NULL);

	if (rc != SQLITE_OK)
		return map_error(rc);
	for (int i = 0; types[i]; i++) {
		switch (types[i]) {
		case 's':
			rc = sqlite3_bind_text(*st, i + 1, va_arg(ap, const char *), -1,
					       SQLITE_TRANSIENT);
			break;
		case 'j': {
			struct json_object *o = va_arg(ap, struct json_object *);
			rc = sqlite3_bind_text(
				*st, i + 1,
				o ? json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN) : "{}",
				-1, SQLITE_TRANSIENT);
			break;
		}
		case 'i':
			rc = sqlite3_bind_int64(*st, i + 1, va_arg(ap, int64_t));
			break;
		case 'b':
			rc = sqlite3_bind_int(*st, i + 1, va_arg(ap, int) ? 1 : 0);
			break;
		}
		if (rc != SQLITE_OK)
			break;
	}
	if (rc != SQLITE_OK) {
		sqlite3_finalize(*st);
		return map_error(rc);
	}
	return 0;
}



static int prepare(db *d, sqlite3_stmt **st, const char *sql, const char *types, ...)
{
	va_list ap;
	int r;

	va_start(ap, types);
	r = vprepare(d, st, sql, types, ap);
	va_end(ap);
	return r;
}

/* Runs one statement. An UPDATE or DELETE that touched no row is -ENOENT. */
static int run(db *d, const char *sql, const char *types, ...)
{
	sqlite3_stmt *st;
	va_list ap;
	int r;

	va_start(ap, types);
	r = vprepare(d, &st, sql, types, ap);
	va_end(ap);
	if (r < 0)
		return r;
	r = map_error(sqlite3_step(st));
	if (r == 0 && sqlite3_changes(d->sql) == 0 && strncmp(sql, "INSERT", 6) != 0)
		r = -ENOENT;
	sqlite3_finalize(st);
	return r;
}

int db_meta_get(db *d, const char *key, char **ret)
{
	sqlite3_stmt *st;
	int r = prepare(d, &st, "SELECT value FROM meta WHERE key=?", "s", key);

	if (r < 0)
		return r;
	if (sqlite3_step(st) == SQLITE_ROW) {
		*ret = strdup((const char *) sqlite3_column_text(st, 0));
		r = *ret ? 0 : -ENOMEM;
	} else {
		r = -ENOENT;
	}
	sqlite3_finalize(st);
	return r;
}

int db_meta_set(db *d, const char *key, const char *value)
{
	return run(d, "INSERT INTO meta(key, value) VALUES(?, ?) "
		      "ON CONFLICT(key) DO UPDATE SET value=excluded.value",
		   "ss", key, value);
}

static struct json_object *parse_col(sqlite3_stmt *st, int col)
{
	const char *text = (const char *) sqlite3_column_text(st, col);
	struct json_object *o = text ? json_tokener_parse(text) : NULL;

	if (!o || !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		o = json_object_new_object();
	}
	return o;
}

int db_load(db *d, db_type_fn on_type, db_group_fn on_group, db_res_fn on_res, void *userdata)
{
	sqlite3_stmt *st;
	int r;

	r = prepare(d, &st, "SELECT name, dll, props FROM types ORDER BY seq", "");
	if (r < 0)
		return r;
	while (sqlite3_step(st) == SQLITE_ROW) {
		struct json_object *p = parse_col(st, 2);
		on_type((const char *) sqlite3_column_text(st, 0),
			(const char *) sqlite3_column_text(st, 1), p, userdata);
		json_object_put(p);
	}
	sqlite3_finalize(st);

	r = prepare(d, &st, "SELECT name, props FROM groups ORDER BY seq", "");
	if (r < 0)
		return r;
	while (sqlite3_step(st) == SQLITE_ROW) {
		struct json_object *p = parse_col(st, 1);
		on_group((const char *) sqlite3_column_text(st, 0), p, userdata);
		json_object_put(p);
	}
	sqlite3_finalize(st);

	r = prepare(d, &st,
		    "SELECT name, type, grp, props, params, deps, persistent FROM resources "
		    "ORDER BY seq",
		    "");
	if (r < 0)
		return r;
	while (sqlite3_step(st) == SQLITE_ROW) {
		struct json_object *p = parse_col(st, 3), *q = parse_col(st, 4);
		on_res((const char *) sqlite3_column_text(st, 0),
		       (const char *) sqlite3_column_text(st, 1),
		       (const char *) sqlite3_column_text(st, 2), p, q,
		       (const char *) sqlite3_column_text(st, 5), sqlite3_column_int(st, 6) != 0,
		       userdata);
		json_object_put(p);
		json_object_put(q);
	}
	sqlite3_finalize(st);
	return 0;
}

int db_type_put(db *d, const char *name, const char *dll, struct json_object *props)
{
	return run(d, "INSERT INTO types(name, dll, props) VALUES(?, ?, ?) "
		      "ON CONFLICT(name) DO UPDATE SET dll=excluded.dll, props=excluded.props",
		   "ssj", name, dll, props);
}

int db_group_put(db *d, const char *name, struct json_object *props)
{
	return run(d, "INSERT INTO groups(name, props) VALUES(?, ?) "
		      "ON CONFLICT(name) DO UPDATE SET props=excluded.props",
		   "sj", name, props);
}

int db_group_delete(db *d, const char *name)
{
	return run(d, "DELETE FROM groups WHERE name=?", "s", name);
}

int db_res_put(db *d, const char *name, const char *type, const char *group,
	       struct json_object *props, struct json_object *params, const char *deps,
	       bool persistent)
{
	return run(d, "INSERT INTO resources(name, type, grp, props, params, deps, persistent) "
		      "VALUES(?, ?, ?, ?, ?, ?, ?) ON CONFLICT(name) DO UPDATE SET "
		      "type=excluded.type, grp=excluded.grp, props=excluded.props, "
		      "params=excluded.params, deps=excluded.deps, persistent=excluded.persistent",
		   "sssjjsb", name, type, group, props, params, deps ? deps : "", (int) persistent);
}

int db_res_set_persistent(db *d, const char *name, bool persistent)
{
	return run(d, "UPDATE resources SET persistent=? WHERE name=?", "bs", (int) persistent,
		   name);
}

int db_res_delete(db *d, const char *name)
{
	return run(d, "DELETE FROM resources WHERE name=?", "s", name);
}

int db_log_begin(db *d)
{
	return exec(d->logview, "BEGIN IMMEDIATE");
}

int db_log_commit(db *d)
{
	int r = exec(d->logview, "COMMIT");

	if (r < 0)
		(void) exec(d->logview, "ROLLBACK");
	return r;
}

int64_t db_log_append(db *d, int64_t time_us, int level, const char *object, const char *message)
{
	d = d->logview;
	int r = run(d, "INSERT INTO log(time_us, level, object, message) VALUES(?, ?, ?, ?)",
		    "iiss", time_us, (int64_t) level, object ? object : "", message);

	return r < 0 ? r : sqlite3_last_insert_rowid(d->sql);
}

int db_log_read(db *d, const char *object, unsigned limit, db_log_fn fn, void *userdata)
{
	sqlite3_stmt *st;
	int r;

	d = d->logview;
	if (object)
		r = prepare(d, &st,
			    "SELECT * FROM (SELECT seq, time_us, level, object, message FROM log "
			    "WHERE object=? ORDER BY seq DESC LIMIT ?) ORDER BY seq",
			    "si", object, (int64_t) limit);
	else
		r = prepare(d, &st,
			    "SELECT * FROM (SELECT seq, time_us, level, object, message FROM log "
			    "ORDER BY seq DESC LIMIT ?) ORDER BY seq",
			    "i", (int64_t) limit);
	if (r < 0)
		return r;
	while (sqlite3_step(st) == SQLITE_ROW)
		fn(sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1),
		   sqlite3_column_int(st, 2), (const char *) sqlite3_column_text(st, 3),
		   (const char *) sqlite3_column_text(st, 4), userdata);
	sqlite3_finalize(st);
	return 0;
}

int db_log_trim(db *d, unsigned keep)
{
	int r = run(d->logview, "DELETE FROM log WHERE seq <= (SELECT MAX(seq) FROM log) - ?", "i",
		    (int64_t) keep);

	return r == -ENOENT ? 0 : r;
}

/* ---- many nodes --------------------------------------------------------------------------- */

int db_owner_set(db *d, const char *group, uint32_t owner)
{
	return run(d, "INSERT INTO placement(grp, owner) VALUES(?, ?) "
		      "ON CONFLICT(grp) DO UPDATE SET owner=excluded.owner",
		   "si", group, (int64_t) owner);
}

int db_node_set_paused(db *d, uint32_t node, bool paused)
{
	return run(d, "INSERT INTO nodes(id, paused) VALUES(?, ?) "
		      "ON CONFLICT(id) DO UPDATE SET paused=excluded.paused",
		   "ib", (int64_t) node, (int) paused);
}

int db_placement_load(db *d, db_owner_fn on_owner, db_node_fn on_node, void *userdata)
{
	sqlite3_stmt *st;
	int r = prepare(d, &st, "SELECT grp, owner FROM placement", "");

	if (r < 0)
		return r;
	while (sqlite3_step(st) == SQLITE_ROW)
		on_owner((const char *) sqlite3_column_text(st, 0),
			 (uint32_t) sqlite3_column_int64(st, 1), userdata);
	sqlite3_finalize(st);
	r = prepare(d, &st, "SELECT id, paused FROM nodes", "");
	if (r < 0)
		return r;
	while (sqlite3_step(st) == SQLITE_ROW)
		on_node((uint32_t) sqlite3_column_int64(st, 0), sqlite3_column_int(st, 1) != 0,
			userdata);
	sqlite3_finalize(st);
	return 0;
}

/* The replicated tables, in insertion order, as one JSON object. */
static const char *const snapshot_tables[] = { "meta", "types", "groups", "resources",
					       "placement", "nodes" };
static const char *const snapshot_select[] = {
	"SELECT key, value FROM meta WHERE key NOT IN ('initialized') ORDER BY key",
	"SELECT name, dll, props FROM types ORDER BY seq",
	"SELECT name, props FROM groups ORDER BY seq",
	"SELECT name, type, grp, props, params, deps, persistent FROM resources ORDER BY seq",
	"SELECT grp, owner FROM placement ORDER BY grp",
	"SELECT id, paused FROM nodes ORDER BY id",
};
static const char *const snapshot_insert[] = {
	"INSERT INTO meta(key, value) VALUES(?, ?) ON CONFLICT(key) DO UPDATE SET value=excluded.value",
	"INSERT INTO types(name, dll, props) VALUES(?, ?, ?)",
	"INSERT INTO groups(name, props) VALUES(?, ?)",
	"INSERT INTO resources(name, type, grp, props, params, deps, persistent) "
	"VALUES(?, ?, ?, ?, ?, ?, ?)",
	"INSERT INTO placement(grp, owner) VALUES(?, ?)",
	"INSERT INTO nodes(id, paused) VALUES(?, ?)",
};

int db_snapshot(db *d, struct json_object **ret)
{
	struct json_object *snap = json_object_new_object();

	for (size_t t = 0; t < sizeof(snapshot_tables) / sizeof(snapshot_tables[0]); t++) {
		struct json_object *rows = json_object_new_array();
		sqlite3_stmt *st;
		int r = prepare(d, &st, snapshot_select[t], "");

		if (r < 0) {
			json_object_put(rows);
			json_object_put(snap);
			return r;
		}
		while (sqlite3_step(st) == SQLITE_ROW) {
			struct json_object *row = json_object_new_array();

			for (int c = 0; c < sqlite3_column_count(st); c++) {
				if (sqlite3_column_type(st, c) == SQLITE_INTEGER)
					json_object_array_add(row, json_object_new_int64(
									   sqlite3_column_int64(st, c)));
				else
					json_object_array_add(row, json_object_new_string(
									   (const char *) sqlite3_column_text(st, c)));
			}
			json_object_array_add(rows, row);
		}
		sqlite3_finalize(st);
		json_object_object_add(snap, snapshot_tables[t], rows);
	}
	*ret = snap;
	return 0;
}

int db_restore(db *d, struct json_object *snap)
{
	int r = db_begin(d);

	if (r < 0)
		return r;
	r = exec(d, "DELETE FROM placement; DELETE FROM nodes; DELETE FROM resources;"
		    "DELETE FROM groups; DELETE FROM types;");
	for (size_t t = 0; r == 0 && t < sizeof(snapshot_tables) / sizeof(snapshot_tables[0]); t++) {
		struct json_object *rows;

		if (!json_object_object_get_ex(snap, snapshot_tables[t], &rows) ||
		    !json_object_is_type(rows, json_type_array)) {
			r = -EINVAL;
			break;
		}
		for (size_t i = 0; r == 0 && i < json_object_array_length(rows); i++) {
			struct json_object *row = json_object_array_get_idx(rows, i);
			sqlite3_stmt *st;

			if (!json_object_is_type(row, json_type_array)) {
				r = -EINVAL;
				break;
			}
			if ((r = map_error(sqlite3_prepare_v2(d->sql, snapshot_insert[t], -1, &st,
							      NULL))) < 0)
				break;
			if ((size_t) sqlite3_bind_parameter_count(st) != json_object_array_length(row))
				r = -EINVAL;
			for (int c = 0; r == 0 && c < sqlite3_bind_parameter_count(st); c++) {
				struct json_object *v = json_object_array_get_idx(row, (size_t) c);

				if (json_object_is_type(v, json_type_int))
					r = map_error(sqlite3_bind_int64(st, c + 1, json_object_get_int64(v)));
				else if (json_object_is_type(v, json_type_string))
					r = map_error(sqlite3_bind_text(st, c + 1, json_object_get_string(v),
									-1, SQLITE_TRANSIENT));
				else
					r = -EINVAL;
			}
			if (r == 0)
				r = map_error(sqlite3_step(st));
			sqlite3_finalize(st);
		}
	}
	if (r == 0)
		r = db_commit(d);
	if (r < 0)
		db_rollback(d);
	return r;
}
