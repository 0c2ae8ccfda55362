#include "eventschema.h"

#include "jsonscalar.h"

#include <QJsonArray>
#include <QJsonDocument>

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

bool isDigit(char c)
{
    return c >= '0' && c <= '9';
}

bool isHex(char c)
{
    return isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

bool isAsciiLetter(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

bool isAsciiSpace(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

bool digitsAt(std::string_view text, size_t at, size_t count)
{
    if (at + count > text.size())
        return false;
    for (size_t i = at; i < at + count; ++i) {
        if (!isDigit(text[i]))
            return false;
    }
    return true;
}

int number(std::string_view text, size_t at, size_t count)
{
    int value = 0;
    for (size_t i = at; i < at + count; ++i)
        value = value * 10 + (text[i] - '0');
    return value;
}

// RFC 3339's date-time (section 5.6), what JSON Schema's "date-time" format means:
// 2024-05-01T10:20:30Z, 2024-05-01T10:20:30.123+02:00; every field within its range.
bool isDateTime(std::string_view t)
{
    if (t.size() < 20 || !digitsAt(t, 0, 4) || t[4] != '-' || !digitsAt(t, 5, 2) || t[7] != '-' ||
        !digitsAt(t, 8, 2) || (t[10] != 'T' && t[10] != 't') || !digitsAt(t, 11, 2) ||
        t[13] != ':' || !digitsAt(t, 14, 2) || t[16] != ':' || !digitsAt(t, 17, 2))
        return false;
    const int month = number(t, 5, 2);
    const int day = number(t, 8, 2);
    if (month < 1 || month > 12 || day < 1 || day > 31 || number(t, 11, 2) > 23 ||
        number(t, 14, 2) > 59 || number(t, 17, 2) > 60) // 60: a leap second
        return false;
    size_t i = 19;
    if (t[i] == '.') {
        ++i;
        const size_t digits = i;
        while (i < t.size() && isDigit(t[i]))
            ++i;
        if (i == digits)
            return false;
    }
    if (i + 1 == t.size() && (t[i] == 'Z' || t[i] == 'z'))
        return true;
    return i + 6 == t.size() && (t[i] == '+' || t[i] == '-') && digitsAt(t, i + 1, 2) &&
           t[i + 3] == ':' && digitsAt(t, i + 4, 2) && number(t, i + 1, 2) <= 23 &&
           number(t, i + 4, 2) <= 59;
}

bool isUuid(std::string_view t)
{
    if (t.size() != 36)
        return false;
    for (size_t i = 0; i < 36; ++i) {
        const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? t[i] != '-' : !isHex(t[i]))
            return false;
    }
    return true;
}

bool isEmail(std::string_view t)
{
    const size_t at = t.find('@');
    if (at == 0 || at == std::string_view::npos || at != t.rfind('@'))
        return false;
    const size_t dot = t.rfind('.');
    if (dot == std::string_view::npos || dot < at + 2 || dot + 1 >= t.size())
        return false;
    for (char c : t) {
        if (isAsciiSpace(c) || c == '<' || c == '>' || c == ',')
            return false;
    }
    return true;
}

bool isUrl(std::string_view t)
{
    const size_t colon = t.find("://");
    if (colon == 0 || colon == std::string_view::npos || colon + 3 >= t.size() ||
        !isAsciiLetter(t[0]))
        return false;
    for (size_t i = 0; i < colon; ++i) {
        const char c = t[i];
        if (!(isAsciiLetter(c) || isDigit(c) || c == '+' || c == '-' || c == '.'))
            return false;
    }
    // A URI (RFC 3986): ASCII, no spaces; a non-ASCII one is an IRI, not JSON Schema's "uri".
    for (size_t i = colon + 3; i < t.size(); ++i) {
        const auto c = static_cast<unsigned char>(t[i]);
        if (isAsciiSpace(t[i]) || c > 0x7e || c < 0x21)
            return false;
    }
    return true;
}

bool isIntegerString(std::string_view t)
{
    const size_t start = !t.empty() && t[0] == '-' ? 1 : 0;
    if (t.size() == start || t.size() - start > 19)
        return false;
    for (size_t i = start; i < t.size(); ++i) {
        if (!isDigit(t[i]))
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

unsigned StringFormats::of(std::string_view text)
{
    unsigned formats = 0;
    if (text.empty())
        return formats;
    const char first = text[0];
    if (isDigit(first) && isDateTime(text))
        formats |= DateTime;
    if (isHex(first) && isUuid(text))
        formats |= Uuid;
    if ((isDigit(first) || first == '-') && isIntegerString(text))
        formats |= IntegerString;
    if (text.find('@') != std::string_view::npos && isEmail(text))
        formats |= Email;
    if (isAsciiLetter(first) && isUrl(text))
        formats |= Url;
    return formats;
}

unsigned StringFormats::of(const QString &text)
{
    const QByteArray utf8 = text.toUtf8();
    return of(std::string_view(utf8.constData(), size_t(utf8.size())));
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

namespace {

// The name a member segment stands for: its text, or a quoted key unescaped.
QString nameOf(const QString &path, const Segment &segment)
{
    if (!segment.quoted)
        return path.mid(segment.start, segment.end - segment.start);
    QString name;
    const qsizetype end = std::max(segment.start + 2, segment.end - 2);
    for (qsizetype i = segment.start + 2; i < end; ++i) {
        if (path.at(i) == u'\\' && i + 1 < end)
            ++i;
        name += path.at(i);
    }
    return name;
}

} // namespace

QString EventSchema::memberName(const QString &path)
{
    const std::vector<Segment> segments = segmentsOf(path);
    if (segments.empty() || segments.back().element)
        return {};
    return nameOf(path, segments.back());
}

std::optional<std::vector<EventSchema::Step>> EventSchema::stepsOf(const QString &path)
{
    std::vector<Step> steps;
    for (const Segment &segment : segmentsOf(path)) {
        const QStringView text = QStringView(path).mid(segment.start, segment.end - segment.start);
        if (segment.element) {
            if (!text.endsWith(u']'))
                return std::nullopt;
            const QStringView inside = text.mid(1, text.size() - 2);
            for (QChar c : inside) {
                if (!c.isDigit())
                    return std::nullopt;
            }
            steps.push_back({QString(), true, !inside.isEmpty()});
        } else {
            if (segment.quoted && !text.endsWith(QStringLiteral("\"]")))
                return std::nullopt;
            steps.push_back({nameOf(path, segment), false, false});
        }
    }
    return steps;
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
    // Examples as sent: a number a double would change ("1.10", twenty digits) is left out
    // rather than shown as a value never sent.
    QJsonArray examples;
    for (const QString &example : field.examples) {
        const QByteArray text = '[' + example.toUtf8() + ']';
        const QJsonDocument parsed = QJsonDocument::fromJson(text);
        if (parsed.isArray() && parsed.toJson(QJsonDocument::Compact) == text)
            examples.append(parsed.array().first());
    }
    if (!examples.isEmpty())
        schema.insert(QStringLiteral("examples"), examples);
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

// --- SchemaLearner ---

namespace {

namespace od = simdjson::ondemand;

// One value of a body, in document order: where it is (depth, member key or array element),
// what it is, and its text. Views into the parser's buffers, valid until the next parse.
struct Token
{
    quint32 depth = 0;
    bool element = false;
    unsigned type = 0;
    std::string_view key;  // a member's name, unescaped
    std::string_view text; // a string's value (unescaped), a number, true, false or null
};

template<typename Value>
simdjson::error_code scalarToken(Value &value, od::json_type type, Token &token)
{
    JsonScalar::Kind kind;
    if (auto error = JsonScalar::read(value, type, kind, token.text))
        return error;
    switch (kind) {
    case JsonScalar::Kind::String:
        token.type = SchemaTypes::String;
        break;
    case JsonScalar::Kind::Number:
        token.type = token.text.find_first_of(".eE") == std::string_view::npos
                         ? SchemaTypes::Integer
                         : SchemaTypes::Number;
        break;
    case JsonScalar::Kind::Boolean:
        token.type = SchemaTypes::Boolean;
        break;
    case JsonScalar::Kind::Null:
        token.type = SchemaTypes::Null;
        break;
    }
    return simdjson::SUCCESS;
}

simdjson::error_code tokenize(od::value value, Token token, std::vector<Token> &tokens)
{
    od::json_type type;
    if (auto error = value.type().get(type))
        return error;
    if (type == od::json_type::object) {
        token.type = SchemaTypes::Object;
        tokens.push_back(token);
        od::object object;
        if (auto error = value.get_object().get(object))
            return error;
        for (auto result : object) {
            od::field field;
            if (auto error = std::move(result).get(field))
                return error;
            Token member;
            member.depth = token.depth + 1;
            if (auto error = field.unescaped_key().get(member.key))
                return error;
            if (auto error = tokenize(field.value(), member, tokens))
                return error;
        }
        return simdjson::SUCCESS;
    }
    if (type == od::json_type::array) {
        token.type = SchemaTypes::Array;
        tokens.push_back(token);
        od::array array;
        if (auto error = value.get_array().get(array))
            return error;
        for (auto result : array) {
            od::value element;
            if (auto error = result.get(element))
                return error;
            Token item;
            item.depth = token.depth + 1;
            item.element = true;
            if (auto error = tokenize(element, item, tokens))
                return error;
        }
        return simdjson::SUCCESS;
    }
    if (auto error = scalarToken(value, type, token))
        return error;
    tokens.push_back(token);
    return simdjson::SUCCESS;
}

// The JSON text of a scalar token: a string quoted and escaped again, anything else as sent.
QString exampleText(const Token &token)
{
    if (token.type != SchemaTypes::String)
        return QString::fromLatin1(token.text.data(), qsizetype(token.text.size()));
    DecodedField field;
    field.type = QStringLiteral("string");
    field.value = QString::fromUtf8(token.text.data(), qsizetype(token.text.size()));
    return field.jsonText();
}

} // namespace

struct SchemaLearner::Node
{
    QString path;
    Node *parent = nullptr;
    bool element = false;
    std::string key; // a member's name (UTF-8)
    SchemaField stats;
    std::vector<Node *> members;
    Node *items = nullptr;
    quint64 createdIn = 0; // the delivery (serial) that made it; 0 for one read back
    quint64 seenIn = 0;    // the last delivery that carried it
    quint64 objectIn = 0;  // the last delivery it was an object in
    quint64 instance = 0;  // which object it is now, when it is one
    quint64 countedIn = 0; // the object instance it was last counted as a member of
    unsigned typesBefore = 0;
    unsigned typesNow = 0;
    bool typeDrift = false;
};

struct SchemaLearner::State
{
    std::deque<Node> nodes;
    Node *root = nullptr;
    qint64 deliveries = 0;
    qint64 drifted = 0;
    qint64 firstSeenMs = 0;
    qint64 lastSeenMs = 0;
    qint64 lastDeliveryId = 0;
    quint64 serial = 0;
    quint64 instances = 0;
    std::vector<Token> tokens;
    std::vector<Node *> stack;

    State()
    {
        nodes.emplace_back();
        root = &nodes.back();
    }

    Node *make(Node *parent, bool element, std::string_view key, quint64 madeIn)
    {
        nodes.emplace_back();
        Node *node = &nodes.back();
        node->parent = parent;
        node->element = element;
        node->key = std::string(key);
        node->createdIn = madeIn;
        node->path = element ? parent->path + QStringLiteral("[]")
                             : PayloadDecoder::memberPath(parent->path, key);
        if (element)
            parent->items = node;
        else
            parent->members.push_back(node);
        return node;
    }

    Node *member(Node *parent, std::string_view key, quint64 madeIn)
    {
        for (Node *m : parent->members) {
            if (m->key == key)
                return m;
        }
        return make(parent, false, key, madeIn);
    }

    Node *element(Node *parent, quint64 madeIn)
    {
        return parent->items ? parent->items : make(parent, true, {}, madeIn);
    }
};

SchemaLearner::SchemaLearner()
    : d(std::make_unique<State>())
{}

SchemaLearner::~SchemaLearner() = default;
SchemaLearner::SchemaLearner(SchemaLearner &&) noexcept = default;
SchemaLearner &SchemaLearner::operator=(SchemaLearner &&) noexcept = default;

SchemaLearner SchemaLearner::from(const EventSchema &schema)
{
    SchemaLearner learner;
    State &st = *learner.d;
    st.deliveries = schema.deliveries;
    st.drifted = schema.drifted;
    st.firstSeenMs = schema.firstSeenMs;
    st.lastSeenMs = schema.lastSeenMs;
    st.lastDeliveryId = schema.lastDeliveryId;
    for (const auto &[path, field] : schema.fields) {
        Node *node = st.root;
        for (const Segment &segment : segmentsOf(path)) {
            if (segment.element) {
                node = st.element(node, 0);
            } else {
                const QByteArray key = nameOf(path, segment).toUtf8();
                node = st.member(node, std::string_view(key.constData(), size_t(key.size())), 0);
            }
        }
        node->stats = field;
    }
    return learner;
}

std::optional<QList<SchemaDrift>> SchemaLearner::learn(QByteArrayView body, qint64 deliveryId,
                                                       qint64 receivedAtMs)
{
    // Objects and arrays only: a bare scalar body is not a payload with fields.
    qsizetype start = 0;
    while (start < body.size() && isAsciiSpace(body[start]))
        ++start;
    if (start == body.size() || (body[start] != '{' && body[start] != '[') ||
        !PayloadDecoder::withinDepthLimit(body))
        return std::nullopt;
    State &st = *d;
    // Read whole first: nothing is learned from a body that turns out not to be JSON.
    thread_local od::parser parser;
    const simdjson::padded_string padded(body.constData(), size_t(body.size()));
    od::document document;
    st.tokens.clear();
    simdjson::error_code code = parser.iterate(padded).get(document);
    if (!code) {
        od::value root;
        code = document.get_value().get(root);
        if (!code)
            code = tokenize(root, Token(), st.tokens);
        if (!code && document.current_location().error() != simdjson::OUT_OF_BOUNDS)
            code = simdjson::TRAILING_CONTENT;
    }
    if (code || st.tokens.empty())
        return std::nullopt;

    const quint64 serial = ++st.serial;
    const qint64 before = st.deliveries;
    std::vector<std::pair<Node *, SchemaDrift::Kind>> flagged; // in document order
    for (const Token &t : st.tokens) {
        Node *node = st.root;
        // A member written twice in one object: readers keep one of the two (most the last),
        // so both values are learned, but the member is carried once.
        bool repeated = false;
        if (t.depth > 0) {
            Node *parent = st.stack[t.depth - 1];
            if (t.element) {
                node = st.element(parent, serial);
            } else {
                node = st.member(parent, t.key, serial);
                repeated = node->countedIn == parent->instance;
                node->countedIn = parent->instance;
            }
        }
        if (st.stack.size() <= t.depth)
            st.stack.resize(t.depth + 1);
        st.stack[t.depth] = node;
        SchemaField &f = node->stats;
        if (node->seenIn != serial) {
            node->seenIn = serial;
            node->typesBefore = f.types;
            node->typesNow = 0;
            node->typeDrift = false;
            if (f.deliveries == 0) {
                f.firstSeenMs = receivedAtMs;
                f.firstDeliveryId = deliveryId;
            }
            ++f.deliveries;
            if (before > 0) {
                if (node->createdIn == serial) {
                    // Only the outermost new field: its members are new with it.
                    if (node->parent && node->parent->createdIn != serial)
                        flagged.emplace_back(node, SchemaDrift::Kind::NewField);
                }
            }
        }
        node->typesNow |= t.type;
        f.types |= t.type;
        if (!repeated)
            ++f.occurrences;
        f.lastSeenMs = std::max(f.lastSeenMs, receivedAtMs);
        if (before > 0 && node->createdIn != serial && !node->typeDrift) {
            unsigned known = node->typesBefore;
            if (known & SchemaTypes::Number)
                known |= SchemaTypes::Integer; // an integer is a number too
            if (t.type & ~known) {
                node->typeDrift = true;
                flagged.emplace_back(node, SchemaDrift::Kind::TypeChanged);
            }
        }
        if (t.type == SchemaTypes::Object) {
            ++f.objects;
            node->objectIn = serial;
            node->instance = ++st.instances;
            continue;
        }
        if (t.type == SchemaTypes::Array)
            continue;
        if (t.type == SchemaTypes::String) {
            if (f.strings == 0)
                f.formats = StringFormats::of(t.text);
            else if (f.formats)
                f.formats &= StringFormats::of(t.text);
            ++f.strings;
        }
        if (f.examples.size() < SchemaField::MaxExamples &&
            t.text.size() <= size_t(SchemaField::MaxExampleLength)) {
            const QString text = exampleText(t);
            if (text.size() <= SchemaField::MaxExampleLength && !f.examples.contains(text))
                f.examples.append(text);
        }
    }

    QList<SchemaDrift> drift;
    for (const auto &[node, kind] : flagged) {
        if (kind == SchemaDrift::Kind::NewField)
            drift.append({node->path, kind, QString(), SchemaTypes::names(node->typesNow)});
        else
            drift.append({node->path, kind, SchemaTypes::names(node->typesBefore),
                          SchemaTypes::names(node->typesNow)});
    }
    if (before > 0) {
        // Carried by every delivery before, not by this one, where it could have been: its
        // parent is an object here. By path, whatever order the tree was made in.
        QList<SchemaDrift> missing;
        for (const Node &node : st.nodes) {
            if (node.parent && !node.element && node.seenIn != serial &&
                node.stats.deliveries == before && node.parent->objectIn == serial)
                missing.append({node.path, SchemaDrift::Kind::Missing,
                                SchemaTypes::names(node.stats.types), QString()});
        }
        std::sort(missing.begin(), missing.end(),
                  [](const SchemaDrift &a, const SchemaDrift &b) { return a.path < b.path; });
        drift += missing;
    }
    if (st.deliveries == 0)
        st.firstSeenMs = receivedAtMs;
    ++st.deliveries;
    if (!drift.isEmpty())
        ++st.drifted;
    st.lastSeenMs = std::max(st.lastSeenMs, receivedAtMs);
    st.lastDeliveryId = std::max(st.lastDeliveryId, deliveryId);
    return drift;
}

qint64 SchemaLearner::deliveries() const
{
    return d->deliveries;
}

quint64 SchemaLearner::stamp() const
{
    return d->serial;
}

std::vector<std::pair<QString, SchemaField>> SchemaLearner::fieldsSince(quint64 stamp) const
{
    std::vector<std::pair<QString, SchemaField>> fields;
    for (const Node &node : d->nodes) {
        if (node.seenIn > stamp)
            fields.emplace_back(node.path, node.stats);
    }
    return fields;
}

EventSchema SchemaLearner::schema(const QString &endpoint, const QString &eventType) const
{
    EventSchema schema = summary(endpoint, eventType);
    for (const Node &node : d->nodes) {
        if (node.stats.deliveries > 0)
            schema.fields.emplace(node.path, node.stats);
    }
    return schema;
}

EventSchema SchemaLearner::summary(const QString &endpoint, const QString &eventType) const
{
    EventSchema schema;
    schema.endpoint = endpoint;
    schema.eventType = eventType;
    schema.deliveries = d->deliveries;
    schema.drifted = d->drifted;
    schema.firstSeenMs = d->firstSeenMs;
    schema.lastSeenMs = d->lastSeenMs;
    schema.lastDeliveryId = d->lastDeliveryId;
    return schema;
}
