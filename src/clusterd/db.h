/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * The cluster database: SQLite in WAL mode with synchronous=FULL, so a change the daemon
 * acknowledged survives a crash of the daemon and of the machine. Objects are rows; their
 * common properties (only the explicitly set ones) and private properties are JSON objects in
 * a column, which keeps the schema stable as WSFC property lists grow.
 *
 * All calls run on the daemon's main thread. Errors are -errno-style (SQLite errors map to
 * -EIO, constraint violations to -EEXIST/-ENOENT) with the SQLite message in db_errmsg().
 */

#include <stdbool.h>
#include <stdint.h>

struct json_object;
typedef struct db db;

int db_open(const char *path, db **ret);
void db_close(db *d);
const char *db_errmsg(db *d);

/* Explicit transactions for multi-row changes; every single call below is atomic alone. */
int db_begin(db *d);
int db_commit(db *d);
void db_rollback(db *d);

int db_meta_get(db *d, const char *key, char **ret);
int db_meta_set(db *d, const char *key, const char *value);

/* Rows are reported through callbacks in insertion order; JSON arguments are borrowed. */
typedef void (*db_type_fn)(const char *name, const char *dll, struct json_object *props,
			   void *userdata);
typedef void (*db_group_fn)(const char *name, struct json_object *props, void *userdata);
typedef void (*db_res_fn)(const char *name, const char *type, const char *group,
			  struct json_object *props, struct json_object *params, const char *deps,
			  bool persistent, void *userdata);

int db_load(db *d, db_type_fn on_type, db_group_fn on_group, db_res_fn on_res, void *userdata);

int db_type_put(db *d, const char *name, const char *dll, struct json_object *props);
int db_group_put(db *d, const char *name, struct json_object *props);
int db_group_delete(db *d, const char *name);
int db_res_put(db *d, const char *name, const char *type, const char *group,
	       struct json_object *props, struct json_object *params, const char *deps,
	       bool persistent);
int db_res_set_persistent(db *d, const char *name, bool persistent);
int db_res_delete(db *d, const char *name);

/* The cluster log (its own connection, synchronous=NORMAL). A batch of appends goes in one
 * db_log_begin/db_log_commit. time_us is CLOCK_REALTIME microseconds. Returns the new seq, or -errno. */
int db_log_begin(db *d);
int db_log_commit(db *d);
int64_t db_log_append(db *d, int64_t time_us, int level, const char *object, const char *message);
typedef void (*db_log_fn)(int64_t seq, int64_t time_us, int level, const char *object,
			  const char *message, void *userdata);
/* The last limit entries (oldest first), only those of object if non-NULL. */
int db_log_read(db *d, const char *object, unsigned limit, db_log_fn fn, void *userdata);
/* Keeps the newest keep entries. */
int db_log_trim(db *d, unsigned keep);

/* Many nodes. Owners of groups and paused nodes (node ids are Corosync's). */
int db_owner_set(db *d, const char *group, uint32_t owner);
int db_node_set_paused(db *d, uint32_t node, bool paused);
typedef void (*db_owner_fn)(const char *group, uint32_t owner, void *userdata);
typedef void (*db_node_fn)(uint32_t node, bool paused, void *userdata);
int db_placement_load(db *d, db_owner_fn on_owner, db_node_fn on_node, void *userdata);
/* The whole replicated configuration (meta, types, groups, resources, placement, nodes) as one
 * JSON object, and its replacement by one, in one transaction. The log is not part of it. */
int db_snapshot(db *d, struct json_object **ret);
int db_restore(db *d, struct json_object *snap);
