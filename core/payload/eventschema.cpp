#include "eventschema.h"

#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSet>

namespace {

// The segments of a decoded or schema path: a plain key, a quoted key (["x.y"]) or an array
// element ([2] or []). `start` and `end` bound the segment's own text, separators excluded.
struct Segment
{
    qsizetype start = 0;
    qsizetype end = 0;
    bool element = false;
    bool quoted = false;
};

std::vector<Segment> segmentsOf(const QString &path)
{
    std::vector<Segment> segments;
    const qsizetype n = path.size();
    qsizetype i = 0;
    while (i < n) {
        const QChar c = path.at(i);
        if (c == u'.') {
            ++i;
        } else if (c == u'[' && i + 1 < n && path.at(i + 1) == u'"') {
            const qsizetype start = i;
            i += 2;
            while (i < n && path.at(i) != u'"')
                i += path.at(i) == u'\\' ? 2 : 1;
            i = std::min(i + 2, n); // the closing quote and bracket
            segments.push_back({start, i, false, true});
        } else if (c == u'[') {
            const qsizetype start = i;
            while (i < n && path.at(i) != u']')
                ++i;
            i = std::min(i + 1, n);
            segments.push_back({start, i, true, false});
        } else {
            const qsizetype start = i;
            while (i < n && path.at(i) != u'.' && path.at(i) != u'[')
                ++i;
            segments.push_back({start, i, false, false});
        }
    }
    return segments;
}

unsigned typeOf(const DecodedField &field)
{
    const QString &type = field.type;
    if (type == u"string")
        return SchemaTypes::String;
    if (type == u"number") {
        for (QChar c : field.value) {
            if (c == u'.' || c == u'e' || c == u'E')
                return SchemaTypes::Number;
        }
        return SchemaTypes::Integer;
    }
    if (type == u"object")
        return SchemaTypes::Object;
    if (type == u"array")
        return SchemaTypes::Array;
    if (type == u"boolean")
        return SchemaTypes::Boolean;
    return SchemaTypes::Null;
}

bool isDigit(QChar c)
{
    return c >= u'0' && c <= u'9';
}

bool isHex(QChar c)
{
    return isDigit(c) || (c >= u'a' && c <= u'f') || (c >= u'A' && c <= u'F');
}

bool digitsAt(const QString &text, qsizetype at, qsizetype count)
{
    if (at + count > text.size())
        return false;
    for (qsizetype i = at; i < at + count; ++i) {
        if (!isDigit(text.at(i)))
            return false;
    }
    return true;
}

// RFC 3339's date-time, with ISO 8601's space between date and time allowed: 2024-05-01T10:20:30Z,
// 2024-05-01T10:20:30.123+02:00.
bool isDateTime(const QString &t)
{
    if (t.size() < 19 || !digitsAt(t, 0, 4) || t.at(4) != u'-' || !digitsAt(t, 5, 2) ||
        t.at(7) != u'-' || !digitsAt(t, 8, 2) ||
        (t.at(10) != u'T' && t.at(10) != u't' && t.at(10) != u' ') || !digitsAt(t, 11, 2) ||
        t.at(13) != u':' || !digitsAt(t, 14, 2) || t.at(16) != u':' || !digitsAt(t, 17, 2))
        return false;
    qsizetype i = 19;
    if (i < t.size() && t.at(i) == u'.') {
        ++i;
        const qsizetype digits = i;
        while (i < t.size() && isDigit(t.at(i)))
            ++i;
        if (i == digits)
            return false;
    }
    if (i == t.size())
        return true;
    if ((t.at(i) == u'Z' || t.at(i) == u'z') && i + 1 == t.size())
        return true;
    if (t.at(i) != u'+' && t.at(i) != u'-')
        return false;
    return (t.size() == i + 6 && digitsAt(t, i + 1, 2) && t.at(i + 3) == u':' &&
            digitsAt(t, i + 4, 2)) ||
           (t.size() == i + 5 && digitsAt(t, i + 1, 4));
}

bool isUuid(const QString &t)
{
    if (t.size() != 36)
        return false;
    for (qsizetype i = 0; i < 36; ++i) {
        const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? t.at(i) != u'-' : !isHex(t.at(i)))
            return false;
    }
    return true;
}

bool isEmail(const QString &t)
{
    const qsizetype at = t.indexOf(u'@');
    if (at <= 0 || at != t.lastIndexOf(u'@'))
        return false;
    const qsizetype dot = t.lastIndexOf(u'.');
    if (dot < at + 2 || dot + 1 >= t.size())
        return false;
    for (QChar c : t) {
        if (c.isSpace() || c == u'<' || c == u'>' || c == u',')
            return false;
    }
    return true;
}

bool isUrl(const QString &t)
{
    const qsizetype colon = t.indexOf(QStringLiteral("://"));
    if (colon <= 0 || colon + 3 >= t.size() || !t.at(0).isLetter())
        return false;
    for (qsizetype i = 0; i < colon; ++i) {
        const QChar c = t.at(i);
        if (!(c.isLetterOrNumber() || c == u'+' || c == u'-' || c == u'.') || c.unicode() > 127)
            return false;
    }
    for (qsizetype i = colon + 3; i < t.size(); ++i) {
        if (t.at(i).isSpace())
            return false;
    }
    return true;
}

bool isIntegerString(const QString &t)
{
    const qsizetype start = t.startsWith(u'-') ? 1 : 0;
    if (t.size() == start || t.size() - start > 19)
        return false;
    for (qsizetype i = start; i < t.size(); ++i) {
        if (!isDigit(t.at(i)))
            return false;
    }
    return true;
}

} // namespace

QString SchemaTypes::names(unsigned types)
{
    QStringList names;
    if (types & Null)
        names << QStringLiteral("null");
    if (types & Boolean)
        names << QStringLiteral("boolean");
    if (types & Integer)
        names << QStringLiteral("integer");
    if (types & Number)
        names << QStringLiteral("number");
    if (types & String)
        names << QStringLiteral("string");
    if (types & Object)
        names << QStringLiteral("object");
    if (types & Array)
        names << QStringLiteral("array");
    return names.join(u'|');
}

unsigned StringFormats::of(const QString &text)
{
    unsigned formats = 0;
    if (text.isEmpty())
        return formats;
    const QChar first = text.at(0);
    if (isDigit(first) && isDateTime(text))
        formats |= DateTime;
    if (isHex(first) && isUuid(text))
        formats |= Uuid;
    if ((isDigit(first) || first == u'-') && isIntegerString(text))
        formats |= IntegerString;
    if (text.contains(u'@') && isEmail(text))
        formats |= Email;
    if (first.isLetter() && isUrl(text))
        formats |= Url;
    return formats;
}

QString StringFormats::names(unsigned formats)
{
    QStringList names;
    if (formats & DateTime)
        names << QStringLiteral("date-time");
    if (formats & Uuid)
        names << QStringLiteral("uuid");
    if (formats & Email)
        names << QStringLiteral("email");
    if (formats & Url)
        names << QStringLiteral("url");
    if (formats & IntegerString)
        names << QStringLiteral("integer-string");
    return names.join(u',');
}

QString SchemaDrift::kindName(Kind kind)
{
    switch (kind) {
    case Kind::NewField:
        return QStringLiteral("new-field");
    case Kind::Missing:
        return QStringLiteral("missing");
    case Kind::TypeChanged:
        return QStringLiteral("type-changed");
    }
    return {};
}

std::optional<SchemaDrift::Kind> SchemaDrift::kindFromName(const QString &name)
{
    for (Kind kind : {Kind::NewField, Kind::Missing, Kind::TypeChanged}) {
        if (name == kindName(kind))
            return kind;
    }
    return std::nullopt;
}

std::optional<SchemaObservation> SchemaObservation::of(const QByteArray &body)
{
    const qsizetype start = [&body] {
        qsizetype i = 0;
        while (i < body.size() &&
               (body[i] == ' ' || body[i] == '\n' || body[i] == '\r' || body[i] == '\t'))
            ++i;
        return i;
    }();
    // Objects and arrays only: a bare scalar body is not a payload with fields.
    if (start == body.size() || (body[start] != '{' && body[start] != '['))
        return std::nullopt;
    QString error;
    const QList<DecodedField> fields = PayloadDecoder::decodeJson(body, &error);
    if (!error.isEmpty())
        return std::nullopt;
    return of(fields);
}

std::optional<SchemaObservation> SchemaObservation::of(const QList<DecodedField> &fields)
{
    if (fields.isEmpty())
        return std::nullopt;
    SchemaObservation observation;
    QHash<QString, qsizetype> index;
    index.reserve(fields.size());
    // A key written twice in one object is one occurrence (its concrete path repeats).
    QSet<QString> concrete;
    concrete.reserve(fields.size());
    for (const DecodedField &field : fields) {
        if (concrete.contains(field.path))
            continue;
        concrete.insert(field.path);
        const QString path = EventSchema::schemaPathOf(field.path);
        auto found = index.constFind(path);
        qsizetype at = 0;
        if (found == index.constEnd()) {
            at = static_cast<qsizetype>(observation.paths.size());
            index.insert(path, at);
            observation.paths.push_back({});
            observation.paths.back().path = path;
        } else {
            at = *found;
        }
        Path &entry = observation.paths[static_cast<size_t>(at)];
        const unsigned type = typeOf(field);
        entry.types |= type;
        ++entry.occurrences;
        if (type == SchemaTypes::Object)
            ++entry.objects;
        if (type == SchemaTypes::String) {
            ++entry.strings;
            if (entry.formats)
                entry.formats &= StringFormats::of(field.value);
        }
        if (type & (SchemaTypes::Object | SchemaTypes::Array))
            continue;
        if (entry.examples.size() < SchemaField::MaxExamples) {
            const QString text = field.jsonText();
            if (text.size() <= SchemaField::MaxExampleLength && !entry.examples.contains(text))
                entry.examples.append(text);
        }
    }
    if (!observation.paths.empty() && observation.paths.front().path.isEmpty())
        observation.rootTypes = observation.paths.front().types;
    return observation;
}

QString EventSchema::schemaPathOf(const QString &decodedPath)
{
    if (!decodedPath.contains(u'['))
        return decodedPath;
    QString out;
    out.reserve(decodedPath.size());
    qsizetype copied = 0;
    for (const Segment &segment : segmentsOf(decodedPath)) {
        if (!segment.element)
            continue;
        out += QStringView(decodedPath).mid(copied, segment.start - copied);
        out += QStringLiteral("[]");
        copied = segment.end;
    }
    out += QStringView(decodedPath).mid(copied);
    return out;
}

std::optional<QString> EventSchema::parentOf(const QString &path)
{
    if (path.isEmpty())
        return std::nullopt;
    const std::vector<Segment> segments = segmentsOf(path);
    if (segments.empty())
        return QString();
    qsizetype end = segments.back().start;
    if (end > 0 && path.at(end - 1) == u'.')
        --end;
    return path.left(end);
}

bool EventSchema::isElement(const QString &path)
{
    if (!path.endsWith(u']'))
        return false;
    const std::vector<Segment> segments = segmentsOf(path);
    return !segments.empty() && segments.back().element;
}

QString EventSchema::memberName(const QString &path)
{
    const std::vector<Segment> segments = segmentsOf(path);
    if (segments.empty() || segments.back().element)
        return {};
    const Segment &last = segments.back();
    if (!last.quoted)
        return path.mid(last.start, last.end - last.start);
    QString name;
    const qsizetype end = std::max(last.start + 2, last.end - 2);
    for (qsizetype i = last.start + 2; i < end; ++i) {
        if (path.at(i) == u'\\' && i + 1 < end)
            ++i;
        name += path.at(i);
    }
    return name;
}

QList<SchemaDrift> EventSchema::driftOf(const SchemaObservation &observation) const
{
    QList<SchemaDrift> drift;
    if (deliveries == 0)
        return drift;
    QHash<QString, unsigned> present;
    present.reserve(static_cast<qsizetype>(observation.paths.size()));
    for (const SchemaObservation::Path &p : observation.paths)
        present.insert(p.path, p.types);
    for (const SchemaObservation::Path &p : observation.paths) {
        const auto known = fields.find(p.path);
        if (known == fields.end()) {
            // Only the outermost new field: its members are new with it.
            const std::optional<QString> parent = parentOf(p.path);
            if (parent && present.contains(*parent) && !fields.contains(*parent))
                continue;
            drift.append(
                {p.path, SchemaDrift::Kind::NewField, QString(), SchemaTypes::names(p.types)});
            continue;
        }
        unsigned seen = known->second.types;
        if (seen & SchemaTypes::Number)
            seen |= SchemaTypes::Integer; // an integer is a number too
        if (p.types & ~seen)
            drift.append({p.path, SchemaDrift::Kind::TypeChanged,
                          SchemaTypes::names(known->second.types), SchemaTypes::names(p.types)});
    }
    for (const auto &[path, field] : fields) {
        if (field.deliveries < deliveries || path.isEmpty() || present.contains(path) ||
            isElement(path))
            continue;
        // Missing only where it could have been: its parent is an object in this delivery.
        const std::optional<QString> parent = parentOf(path);
        const auto parentTypes = present.constFind(parent.value_or(QString()));
        if (parentTypes == present.constEnd() || !(*parentTypes & SchemaTypes::Object))
            continue;
        drift.append(
            {path, SchemaDrift::Kind::Missing, SchemaTypes::names(field.types), QString()});
    }
    return drift;
}

QList<SchemaDrift> EventSchema::learn(const SchemaObservation &observation, qint64 deliveryId,
                                      qint64 receivedAtMs)
{
    QList<SchemaDrift> drift = driftOf(observation);
    if (deliveries == 0)
        firstSeenMs = receivedAtMs;
    ++deliveries;
    if (!drift.isEmpty())
        ++drifted;
    lastSeenMs = std::max(lastSeenMs, receivedAtMs);
    lastDeliveryId = std::max(lastDeliveryId, deliveryId);
    for (const SchemaObservation::Path &p : observation.paths) {
        SchemaField &field = fields[p.path];
        if (field.deliveries == 0) {
            field.firstSeenMs = receivedAtMs;
            field.firstDeliveryId = deliveryId;
        }
        field.types |= p.types;
        ++field.deliveries;
        field.occurrences += p.occurrences;
        field.objects += p.objects;
        if (p.strings > 0) {
            field.formats = field.strings == 0 ? p.formats : (field.formats & p.formats);
            field.strings += p.strings;
        }
        field.lastSeenMs = std::max(field.lastSeenMs, receivedAtMs);
        for (const QString &example : p.examples) {
            if (field.examples.size() >= SchemaField::MaxExamples)
                break;
            if (!field.examples.contains(example))
                field.examples.append(example);
        }
    }
    return drift;
}

QStringList EventSchema::paths() const
{
    QStringList list;
    list.reserve(static_cast<qsizetype>(fields.size()));
    for (const auto &entry : fields)
        list.append(entry.first); // a parent is a prefix of its children: it sorts first
    return list;
}

QJsonObject EventSchema::schemaAt(const QString &path, const SchemaField &field,
                                  const std::map<QString, std::vector<QString>> &children) const
{
    QJsonObject schema;
    QJsonArray types;
    if (field.types & SchemaTypes::Null)
        types.append(QStringLiteral("null"));
    if (field.types & SchemaTypes::Boolean)
        types.append(QStringLiteral("boolean"));
    if (field.types & SchemaTypes::Number)
        types.append(QStringLiteral("number")); // integers included
    else if (field.types & SchemaTypes::Integer)
        types.append(QStringLiteral("integer"));
    if (field.types & SchemaTypes::String)
        types.append(QStringLiteral("string"));
    if (field.types & SchemaTypes::Object)
        types.append(QStringLiteral("object"));
    if (field.types & SchemaTypes::Array)
        types.append(QStringLiteral("array"));
    if (types.size() == 1)
        schema.insert(QStringLiteral("type"), types.first());
    else if (!types.isEmpty())
        schema.insert(QStringLiteral("type"), types);
    schema.insert(QStringLiteral("description"),
                  QStringLiteral("in %1 of %2 deliveries").arg(field.deliveries).arg(deliveries));
    const auto own = children.find(path);
    if ((field.types & SchemaTypes::Object) && own != children.end()) {
        QJsonObject properties;
        QJsonArray required;
        for (const QString &child : own->second) {
            if (isElement(child))
                continue;
            const SchemaField &member = fields.at(child);
            const QString name = memberName(child);
            properties.insert(name, schemaAt(child, member, children));
            if (member.occurrences >= field.objects)
                required.append(name);
        }
        if (!properties.isEmpty())
            schema.insert(QStringLiteral("properties"), properties);
        if (!required.isEmpty())
            schema.insert(QStringLiteral("required"), required);
    }
    if (field.types & SchemaTypes::Array) {
        const QString element = path + QStringLiteral("[]");
        const auto items = fields.find(element);
        if (items != fields.end())
            schema.insert(QStringLiteral("items"), schemaAt(element, items->second, children));
    }
    if ((field.types & SchemaTypes::String) && field.strings > 0 && field.formats) {
        if (field.formats & StringFormats::DateTime)
            schema.insert(QStringLiteral("format"), QStringLiteral("date-time"));
        else if (field.formats & StringFormats::Uuid)
            schema.insert(QStringLiteral("format"), QStringLiteral("uuid"));
        else if (field.formats & StringFormats::Email)
            schema.insert(QStringLiteral("format"), QStringLiteral("email"));
        else if (field.formats & StringFormats::Url)
            schema.insert(QStringLiteral("format"), QStringLiteral("uri"));
        else if (field.formats & StringFormats::IntegerString)
            schema.insert(QStringLiteral("pattern"), QStringLiteral("^-?[0-9]+$"));
    }
    if (!field.examples.isEmpty()) {
        const QJsonDocument examples =
            QJsonDocument::fromJson(QByteArray("[") + field.examples.join(u',').toUtf8() + ']');
        if (examples.isArray())
            schema.insert(QStringLiteral("examples"), examples.array());
    }
    return schema;
}

QJsonObject EventSchema::toJsonSchema() const
{
    std::map<QString, std::vector<QString>> children;
    for (const auto &entry : fields) {
        if (const std::optional<QString> parent = parentOf(entry.first))
            children[*parent].push_back(entry.first);
    }
    QJsonObject schema;
    const auto root = fields.find(QString());
    if (root != fields.end())
        schema = schemaAt(QString(), root->second, children);
    schema.insert(QStringLiteral("$schema"),
                  QStringLiteral("https://json-schema.org/draft/2020-12/schema"));
    schema.insert(QStringLiteral("title"), eventType.isEmpty()
                                               ? QStringLiteral("deliveries without an event type")
                                               : eventType);
    schema.insert(QStringLiteral("description"),
                  QStringLiteral("Learned by HookScope from %1 deliveries%2")
                      .arg(deliveries)
                      .arg(endpoint.isEmpty() ? QString() : QStringLiteral(" to ") + endpoint));
    return schema;
}
