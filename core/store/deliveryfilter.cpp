#include "deliveryfilter.h"

#include "eventschema.h"
#include "postgres.h"

#include <QDateTime>
#include <QRegularExpression>
#include <QStringList>

#include <algorithm>
#include <limits>

namespace {

// "10m", "2h", "3d", "45s" before now, or an ISO 8601 time (UTC unless it says otherwise).
std::optional<qint64> parseTime(const QString &value, qint64 nowMs)
{
    static const QRegularExpression relative(QStringLiteral("^(\\d+)([smhd])$"));
    const QRegularExpressionMatch match = relative.match(value);
    if (match.hasMatch()) {
        const qint64 amount = match.captured(1).toLongLong();
        const QChar unit = match.captured(2).at(0);
        const qint64 seconds = unit == u's'   ? amount
                               : unit == u'm' ? amount * 60
                               : unit == u'h' ? amount * 3600
                                              : amount * 86400;
        return nowMs - seconds * 1000;
    }
    QDateTime time = QDateTime::fromString(value, Qt::ISODateWithMs);
    if (!time.isValid())
        time = QDateTime::fromString(value, Qt::ISODate);
    if (!time.isValid())
        time = QDateTime::fromString(value, QStringLiteral("yyyy-MM-ddTHH:mm"));
    if (!time.isValid())
        return std::nullopt;
    if (time.timeSpec() == Qt::LocalTime && !value.endsWith(u'Z') && !value.contains(u'+'))
        time.setTimeSpec(Qt::UTC);
    return time.toMSecsSinceEpoch();
}

QString escapeLike(QString text)
{
    text.replace(u'\\', QStringLiteral("\\\\"));
    text.replace(u'%', QStringLiteral("\\%"));
    text.replace(u'_', QStringLiteral("\\_"));
    return text;
}

// The SQLite JSON paths of a field path, one for each stretch between array elements:
// "data.items[].sku" is "$.data.items" and "$.sku" (of each element); "items[]" is "$.items"
// and "" (the element itself). Nothing when SQLite cannot name a key of it (one with a quote).
std::optional<QStringList> jsonPathsOf(const QString &path)
{
    const std::optional<std::vector<EventSchema::Step>> steps = EventSchema::stepsOf(path);
    if (!steps)
        return std::nullopt;
    QStringList paths{QStringLiteral("$")};
    for (const EventSchema::Step &step : *steps) {
        if (step.indexed)
            return std::nullopt; // an index: fields are named by "[]"
        if (step.element) {
            paths.append(QStringLiteral("$"));
        } else {
            // SQLite's path has no escape for a quote or a backslash in a quoted key.
            if (step.name.contains(u'"') || step.name.contains(u'\\'))
                return std::nullopt;
            paths.last() += QStringLiteral(".\"") + step.name + u'"';
        }
    }
    return paths;
}

// A SQL/JSON path (PostgreSQL) true of a document that carries the field `steps` (from `at`)
// names, relative to "$" or "@": strict, so that an array is never taken for its elements, and
// each element tested apart, so that one without the field does not hide another with it.
QString jsonbSteps(const std::vector<EventSchema::Step> &steps, size_t at)
{
    QString path;
    for (size_t i = at; i < steps.size(); ++i) {
        const EventSchema::Step &step = steps[i];
        if (step.element) {
            path += QStringLiteral("[*]");
            if (i + 1 < steps.size())
                return path + QStringLiteral(" ? (exists(@") + jsonbSteps(steps, i + 1) +
                       QStringLiteral("))");
            continue;
        }
        QString name = step.name;
        name.replace(u'\\', QStringLiteral("\\\\"));
        name.replace(u'"', QStringLiteral("\\\""));
        path += QStringLiteral(".\"") + name + u'"';
    }
    return path;
}

std::optional<QString> jsonbPathOf(const QString &path)
{
    const std::optional<std::vector<EventSchema::Step>> steps = EventSchema::stepsOf(path);
    if (!steps || std::any_of(steps->cbegin(), steps->cend(),
                              [](const EventSchema::Step &step) { return step.indexed; }))
        return std::nullopt;
    return QStringLiteral("strict $") + jsonbSteps(*steps, 0);
}

// SQL true when the JSON text `value` carries the field `paths` (from `at`) names.
QString carries(const QString &value, const QStringList &paths, int at, QVariantList &bindings)
{
    bindings.append(paths.at(at));
    if (at + 1 == paths.size())
        return QStringLiteral("json_type(%1, ?) IS NOT NULL").arg(value);
    const QString element = QStringLiteral("e%1").arg(at);
    // json_each walks an object's members too: the place must be an array.
    QString sql = QStringLiteral("(json_type(%1, ?) = 'array' AND EXISTS (SELECT 1 FROM "
                                 "json_each(%1, ?) AS %2")
                      .arg(value, element);
    bindings.append(paths.at(at));
    if (paths.at(at + 1) == u"$" && at + 2 == paths.size())
        return sql + QStringLiteral("))");
    // An element that is an object or an array is JSON text in `value`; a scalar is not JSON.
    sql += QStringLiteral(" WHERE %1.type IN ('object', 'array') AND ").arg(element) +
           carries(element + QStringLiteral(".value"), paths, at + 1, bindings) +
           QStringLiteral("))");
    return sql;
}

} // namespace

bool DeliveryFilter::isEmpty() const
{
    return eventType.isEmpty() && !verdict && !failedOnly && endpoint.isEmpty() && status == 0 &&
           subscriberId.isEmpty() && !sample && drift.isEmpty() && hasPath.isEmpty() && !sinceMs &&
           !untilMs && text.isEmpty();
}

DeliveryFilter DeliveryFilter::parse(const QString &input, QString *error, qint64 nowMs)
{
    if (nowMs == 0)
        nowMs = QDateTime::currentMSecsSinceEpoch();
    DeliveryFilter filter;
    QStringList words;
    QStringList problems;
    // Words split on spaces; "quoted text" stays one word, and so does a quoted key in a field
    // path (has:data["with space"], its quotes escaped with a backslash inside).
    static const QRegularExpression word(
        QStringLiteral("(\\w+:)?\"([^\"]*)\"|((?:\\[\"(?:[^\"\\\\]|\\\\.)*\"\\]|[^\\s\\[]|\\[)+)"));
    auto it = word.globalMatch(input);
    while (it.hasNext()) {
        const QRegularExpressionMatch m = it.next();
        const QString token =
            m.captured(3).isEmpty() ? m.captured(1) + m.captured(2) : m.captured(3);
        const qsizetype colon = token.indexOf(u':');
        const QString key = colon > 0 ? token.left(colon).toLower() : QString();
        const QString value = colon > 0 ? token.mid(colon + 1) : QString();
        if (key == u"event" || key == u"type") {
            filter.eventType = value;
        } else if (key == u"verdict") {
            if (value.compare(u"failed", Qt::CaseInsensitive) == 0) {
                filter.failedOnly = true;
            } else if (const auto verdict = verdictFromName(value.toLower())) {
                filter.verdict = verdict;
            } else {
                problems.append(QStringLiteral("unknown verdict \"%1\"").arg(value));
            }
        } else if (key == u"endpoint") {
            filter.endpoint = value;
        } else if (key == u"status") {
            static const QRegularExpression statusClass(QStringLiteral("^([1-5])xx$"),
                                                        QRegularExpression::CaseInsensitiveOption);
            const QRegularExpressionMatch sm = statusClass.match(value);
            bool ok = false;
            const int code = value.toInt(&ok);
            if (sm.hasMatch()) {
                filter.status = sm.captured(1).toInt();
                filter.statusIsClass = true;
            } else if (ok && code >= 100 && code <= 599) {
                filter.status = code;
            } else {
                problems.append(QStringLiteral("status wants a code such as 200 or 5xx, not \"%1\"")
                                    .arg(value));
            }
        } else if (key == u"subscriber") {
            filter.subscriberId = value;
        } else if (key == u"sample") {
            const QString answer = value.toLower();
            if (answer == u"yes" || answer == u"true" || answer == u"1")
                filter.sample = true;
            else if (answer == u"no" || answer == u"false" || answer == u"0")
                filter.sample = false;
            else
                problems.append(QStringLiteral("sample wants yes or no, not \"%1\"").arg(value));
        } else if (key == u"drift") {
            const QString answer = value.toLower();
            if (answer == u"yes" || answer == u"true" || answer == u"1")
                filter.drift = QStringLiteral("yes");
            else if (answer == u"no" || answer == u"false" || answer == u"0")
                filter.drift = QStringLiteral("no");
            else if (SchemaDrift::kindFromName(answer))
                filter.drift = answer;
            else
                problems.append(QStringLiteral("drift wants yes, no, new-field, missing or "
                                               "type-changed, not \"%1\"")
                                    .arg(value));
        } else if (key == u"has") {
            if (!jsonPathsOf(value))
                problems.append(QStringLiteral("has wants a field path such as data.id or "
                                               "data.items[].sku, not \"%1\"")
                                    .arg(value));
            else
                filter.hasPath = value;
        } else if (key == u"since" || key == u"until") {
            const auto time = parseTime(value, nowMs);
            if (!time)
                problems.append(QStringLiteral("%1 wants 10m, 2h, 3d or a time such as "
                                               "2026-01-31T14:05, not \"%2\"")
                                    .arg(key, value));
            else if (key == u"since")
                filter.sinceMs = time;
            else
                filter.untilMs = time;
        } else if (!token.trimmed().isEmpty()) {
            // A blank quoted word (" ") searches for nothing: no text condition at all.
            words.append(token);
        }
    }
    filter.text = words.join(u' ');
    if (error)
        *error = problems.join(QStringLiteral("; "));
    return filter;
}

QString DeliveryFilter::ftsQuery(const QString &text)
{
    QStringList phrases;
    for (QString word : text.split(u' ', Qt::SkipEmptyParts)) {
        word.replace(u'"', QStringLiteral("\"\""));
        phrases.append(u'"' + word + QStringLiteral("\" *"));
    }
    return phrases.join(u' ');
}

QString DeliveryFilter::tsQuery(const QString &text)
{
    QStringList words;
    for (const QString &word : text.split(u' ', Qt::SkipEmptyParts)) {
        const QStringList tokens =
            Postgres::searchWords(word).toLower().split(u' ', Qt::SkipEmptyParts);
        if (!tokens.isEmpty())
            words.append(tokens.join(QStringLiteral(" <-> ")) + QStringLiteral(":*"));
    }
    return words.join(QStringLiteral(" & "));
}

bool DeliveryFilter::onlyText() const
{
    DeliveryFilter withoutText = *this;
    withoutText.text.clear();
    return !text.isEmpty() && withoutText.isEmpty();
}

QString DeliveryFilter::whereClause(QVariantList &bindings, const TextSearchScope *textSearch,
                                    qint64 minId, qint64 maxId, SqlDialect dialect) const
{
    QStringList conditions;
    if (!eventType.isEmpty()) {
        conditions.append(QStringLiteral("event_type = ?"));
        bindings.append(eventType);
    }
    if (verdict) {
        conditions.append(QStringLiteral("verdict = ?"));
        bindings.append(verdictName(*verdict));
    }
    if (failedOnly)
        conditions.append(QStringLiteral("verdict NOT IN ('valid', 'unverified')"));
    if (!endpoint.isEmpty()) {
        conditions.append(QStringLiteral("endpoint = ?"));
        bindings.append(endpoint);
    }
    if (status != 0) {
        if (statusIsClass) {
            conditions.append(QStringLiteral("response_status BETWEEN ? AND ?"));
            bindings.append(status * 100);
            bindings.append(status * 100 + 99);
        } else {
            conditions.append(QStringLiteral("response_status = ?"));
            bindings.append(status);
        }
    }
    if (!subscriberId.isEmpty()) {
        // "<> ''" lets SQLite use the partial index on subscriber_id, whose WHERE it does not
        // infer from "= ?".
        conditions.append(QStringLiteral("subscriber_id = ? AND subscriber_id <> ''"));
        bindings.append(subscriberId);
    }
    if (sample)
        conditions.append(*sample ? QStringLiteral("sample <> 0") : QStringLiteral("sample = 0"));
    const bool postgres = dialect == SqlDialect::Postgres;
    if (drift == u"yes") {
        conditions.append(QStringLiteral("id IN (SELECT delivery_id FROM drift)"));
    } else if (drift == u"no") {
        conditions.append(QStringLiteral("id NOT IN (SELECT delivery_id FROM drift)"));
    } else if (!drift.isEmpty()) {
        conditions.append(QStringLiteral("id IN (SELECT delivery_id FROM drift WHERE kind = ?)"));
        bindings.append(drift);
    }
    if (!hasPath.isEmpty() && postgres) {
        if (const std::optional<QString> path = jsonbPathOf(hasPath)) {
            conditions.append(QStringLiteral("coalesce(jsonb_path_exists(hookscope_json(body), "
                                             "CAST(? AS jsonpath), '{}', true), false)"));
            bindings.append(*path);
        }
    } else if (!hasPath.isEmpty()) {
        if (const std::optional<QStringList> paths = jsonPathsOf(hasPath)) {
            conditions.append(QStringLiteral("CASE WHEN json_valid(CAST(body AS TEXT)) THEN ") +
                              carries(QStringLiteral("CAST(body AS TEXT)"), *paths, 0, bindings) +
                              QStringLiteral(" ELSE 0 END"));
        }
    }
    if (sinceMs) {
        conditions.append(QStringLiteral("received_at >= ?"));
        bindings.append(*sinceMs);
    }
    if (untilMs) {
        conditions.append(QStringLiteral("received_at < ?"));
        bindings.append(*untilMs);
    }
    if (!text.isEmpty() && postgres) {
        const QString query = tsQuery(text);
        if (query.isEmpty()) {
            conditions.append(QStringLiteral("false"));
        } else {
            conditions.append(QStringLiteral("search @@ to_tsquery('simple', ?)"));
            bindings.append(query);
        }
    } else if (!text.isEmpty()) {
        if (textSearch) {
            // The index file up to its watermark, the connection's own index above it; bounding
            // the ids keeps an index from listing every match of a common word.
            const qint64 last = maxId > 0 ? maxId : std::numeric_limits<qint64>::max();
            QStringList sources;
            const QString query = ftsQuery(text);
            if (textSearch->indexedUpTo >= std::max<qint64>(minId, 1)) {
                sources.append(QStringLiteral("id IN (SELECT rowid FROM search.deliveries_fts "
                                              "WHERE deliveries_fts MATCH ? AND rowid BETWEEN ? "
                                              "AND ?)"));
                bindings.append(query);
                bindings.append(minId);
                bindings.append(std::min(last, textSearch->indexedUpTo));
            }
            const qint64 freshFirst = std::max(minId, textSearch->indexedUpTo + 1);
            const qint64 freshLast = std::min(last, textSearch->freshUpTo);
            if (freshFirst <= freshLast) {
                sources.append(QStringLiteral("id IN (SELECT rowid FROM temp.fresh_fts WHERE "
                                              "fresh_fts MATCH ? AND rowid BETWEEN ? AND ?)"));
                bindings.append(query);
                bindings.append(freshFirst);
                bindings.append(freshLast);
            }
            conditions.append(sources.isEmpty()
                                  ? QStringLiteral("0")
                                  : u'(' + sources.join(QStringLiteral(" OR ")) + u')');
        } else {
            const QString pattern = u'%' + escapeLike(text) + u'%';
            conditions.append(QStringLiteral(
                "(event_type LIKE ? ESCAPE '\\' OR event_id LIKE ? ESCAPE '\\' OR path LIKE ? "
                "ESCAPE '\\' OR CAST(body AS TEXT) LIKE ? ESCAPE '\\')"));
            for (int i = 0; i < 4; ++i)
                bindings.append(pattern);
        }
    }
    if (conditions.isEmpty())
        return QStringLiteral("1 = 1"); // true in SQLite and PostgreSQL alike
    return conditions.join(QStringLiteral(" AND "));
}
