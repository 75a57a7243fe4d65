#include "jobs/db/dbroutes.h"

#include "jobs/db/database.h"
#include "runtime/context.h"
#include "runtime/error.h"

using namespace Qt::StringLiterals;

namespace coroute {

namespace {

QJsonValue paramsOf(const Context &ctx)
{
    const auto params = ctx.param(u"params"_s);
    if (params.isUndefined() || params.isNull() || params.isArray() || params.isObject())
        return params;
    throw Error(422, u"invalid_params"_s,
                u"params must be an array (for ? placeholders) or an object (for :name, @name, $name)"_s);
}

QCoro::Task<QJsonObject> execHandler(Context &ctx)
{
    const auto params = paramsOf(ctx);
    const QString name = ctx.param(u"db"_s).toString();
    const QString sql = ctx.param(u"sql"_s).toString();
    auto db = co_await ctx.db(name);
    const auto result = co_await db->exec(sql, params, ctx.token());
    co_return result.toJson();
}

QCoro::AsyncGenerator<QJsonValue> queryHandler(Context &ctx)
{
    const auto params = paramsOf(ctx);
    const QString name = ctx.param(u"db"_s).toString();
    auto db = co_await ctx.db(name);
    const int chunkRows = int(ctx.param(u"chunk_rows"_s).toInteger());
    qint64 produced = 0;
    auto chunks = db->query(ctx.param(u"sql"_s).toString(), params, chunkRows, ctx.token());
    auto it = co_await chunks.begin();
    while (it != chunks.end()) {
        const QJsonArray rows = *it;
        for (const auto &row : rows)
            co_yield row;
        produced += rows.size();
        co_await ++it;
    }
    ctx.log(u"%1 rows"_s.arg(produced));
}

QCoro::Task<QJsonObject> bulkHandler(Context &ctx)
{
    QStringList columns;
    const auto columnValues = ctx.param(u"columns"_s).toArray();
    for (qsizetype i = 0; i < columnValues.size(); ++i) {
        if (!columnValues.at(i).isString())
            throw Error(422, u"invalid_identifier"_s, u"columns[%1] is not a string"_s.arg(i),
                        QJsonObject{{u"column"_s, qint64(i)}});
        columns.append(columnValues.at(i).toString());
    }
    // Identifiers are checked before the database is opened: a bad request creates no file.
    const QString table = ctx.param(u"table"_s).toString();
    for (const auto &name : QStringList{table} + columns) {
        if (!Database::isValidIdentifier(name))
            throw Error(422, u"invalid_identifier"_s,
                        u"invalid identifier '%1': use letters, digits and _, not starting with a digit"_s.arg(name),
                        QJsonObject{{u"identifier"_s, name}});
    }
    const QString name = ctx.param(u"db"_s).toString();
    auto db = co_await ctx.db(name);
    const auto rows = ctx.param(u"rows"_s).toArray();
    const int batch = int(ctx.param(u"batch"_s).toInteger());
    const qint64 inserted = co_await db->bulkInsert(table, columns, rows, batch, ctx.token());
    co_return QJsonObject{{u"inserted"_s, inserted}};
}

ParamSpec dbField()
{
    return {.name = u"db"_s, .type = ParamType::String,
            .description = u"Database file, relative to the first root folder (or absolute inside a root); "
                           "created when missing, its folder must exist"_s,
            .required = true};
}

ParamSpec paramsField()
{
    return {.name = u"params"_s, .type = ParamType::Any,
            .description = u"Values bound to the statement, never spliced: an array for ? placeholders or an "
                           "object for :name, @name, $name. A blob is {\"$blob\": \"<base64>\"}"_s};
}

const QString errorsText = u" Errors carry SQLite's own message in detail {code, extended_code, message}: "
                           "400 sqlite_error (syntax error, no such table), 409 constraint_violation, "
                           "422 invalid_params (parameter count or names do not match), "
                           "503 database_busy (still locked by another connection after the busy timeout), "
                           "403 read_only (the file or folder refuses writes), 403 forbidden_path (outside the roots), "
                           "404 not_found (the folder does not exist). Cancelling interrupts the running statement."_s;

} // namespace

Router dbRoutes()
{
    Router r;
    r.post(u"/exec"_s, execHandler)
        .summary(u"Run SQL that changes data"_s)
        .description(u"Runs sql on the database's own thread and answers {changes, last_insert_id}. With "
                     "params, sql is one statement; without, it may be a script of several statements."_s
                     + errorsText)
        .bodyField(dbField())
        .bodyField({.name = u"sql"_s, .type = ParamType::String, .description = u"SQL to run"_s, .required = true})
        .bodyField(paramsField());
    r.post(u"/query"_s, queryHandler)
        .summary(u"Stream the rows of a query"_s)
        .description(u"Runs one statement and streams each row as an object (column name to value; integers, "
                     "doubles, strings, null, blobs as base64 strings). Rows are read in chunks of chunk_rows "
                     "on the database's thread, so the loop is never blocked and other jobs interleave."_s
                     + errorsText)
        .bodyField(dbField())
        .bodyField({.name = u"sql"_s, .type = ParamType::String, .description = u"One SELECT (or any statement "
                                                                               "returning rows)"_s,
                    .required = true})
        .bodyField(paramsField())
        .bodyField({.name = u"chunk_rows"_s, .type = ParamType::Int,
                    .description = u"Rows read per trip to the database's thread"_s, .defaultValue = 500,
                    .minimum = 1, .maximum = 100000});
    r.post(u"/bulk"_s, bulkHandler)
        .summary(u"Insert many rows in batched transactions"_s)
        .description(u"Inserts rows into table through one prepared statement, batch rows per transaction, "
                     "and answers {inserted}. table and columns must match ^[A-Za-z_][A-Za-z0-9_]*$ "
                     "(else 422 invalid_identifier) and are quoted; each row is an array with one value per "
                     "column (else 422 invalid_row with detail.row), checked before anything is written. On a "
                     "failure, batches before the failing one stay committed (detail.inserted, detail.row)."_s
                     + errorsText)
        .bodyField(dbField())
        .bodyField({.name = u"table"_s, .type = ParamType::String, .description = u"Table name"_s, .required = true})
        .bodyField({.name = u"columns"_s, .type = ParamType::Array, .description = u"Column names"_s,
                    .required = true})
        .bodyField({.name = u"rows"_s, .type = ParamType::Array,
                    .description = u"Rows: arrays of values in column order"_s, .required = true})
        .bodyField({.name = u"batch"_s, .type = ParamType::Int, .description = u"Rows per transaction"_s,
                    .defaultValue = 1000, .minimum = 1, .maximum = 1000000});
    return r;
}

} // namespace coroute
