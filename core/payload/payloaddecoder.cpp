#include "payloaddecoder.h"

#include "jsonscalar.h"

#include <QStringList>

#include <simdjson.h>

namespace {

namespace od = simdjson::ondemand;

bool isPlainKey(std::string_view key)
{
    if (key.empty())
        return false;
    for (char c : key) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                        (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '$';
        if (!ok)
            return false;
    }
    return true;
}

QString childPath(const QString &parent, std::string_view key)
{
    const QString name = QString::fromUtf8(key.data(), static_cast<qsizetype>(key.size()));
    if (isPlainKey(key))
        return parent.isEmpty() ? name : parent + u'.' + name;
    // Keys with dots, spaces or brackets are quoted so that the path stays unambiguous.
    QString quoted = name;
    quoted.replace(u'\\', QStringLiteral("\\\\")).replace(u'"', QStringLiteral("\\\""));
    return parent + QStringLiteral("[\"") + quoted + QStringLiteral("\"]");
}

QString toQString(std::string_view text)
{
    return QString::fromUtf8(text.data(), static_cast<qsizetype>(text.size()));
}

class JsonWalker
{
public:
    explicit JsonWalker(QList<DecodedField> &fields)
        : m_fields(fields)
    {}

    simdjson::error_code walk(od::value value, const QString &path)
    {
        od::json_type type;
        if (auto error = value.type().get(type))
            return error;
        switch (type) {
        case od::json_type::object: {
            od::object object;
            if (auto error = value.get_object().get(object))
                return error;
            m_fields.append({path, QStringLiteral("object"), {}});
            for (auto result : object) {
                od::field field;
                if (auto error = std::move(result).get(field))
                    return error;
                std::string_view key;
                if (auto error = field.unescaped_key().get(key))
                    return error;
                const QString child = childPath(path, key);
                if (auto error = walk(field.value(), child))
                    return error;
            }
            return simdjson::SUCCESS;
        }
        case od::json_type::array: {
            od::array array;
            if (auto error = value.get_array().get(array))
                return error;
            m_fields.append({path, QStringLiteral("array"), {}});
            qsizetype index = 0;
            for (auto element : array) {
                od::value child;
                if (auto error = element.get(child))
                    return error;
                if (auto error = walk(child, path + u'[' + QString::number(index++) + u']'))
                    return error;
            }
            return simdjson::SUCCESS;
        }
        default:
            return scalar(value, type, path);
        }
    }

    template<typename Value>
    simdjson::error_code scalar(Value &value, od::json_type type, const QString &path)
    {
        JsonScalar::Kind kind;
        std::string_view text;
        if (auto error = JsonScalar::read(value, type, kind, text))
            return error;
        m_fields.append({path, kindName(kind), toQString(text)});
        return simdjson::SUCCESS;
    }

    static QString kindName(JsonScalar::Kind kind)
    {
        switch (kind) {
        case JsonScalar::Kind::String:
            return QStringLiteral("string");
        case JsonScalar::Kind::Number:
            return QStringLiteral("number");
        case JsonScalar::Kind::Boolean:
            return QStringLiteral("boolean");
        case JsonScalar::Kind::Null:
            break;
        }
        return QStringLiteral("null");
    }

private:
    QList<DecodedField> &m_fields;
};

// The on-demand parser trusts its caller to stay within its maximum depth (it only asserts
// it), so nesting is measured before parsing: one pass, strings skipped.
constexpr int MaxJsonDepth = 512;

bool nestingWithin(QByteArrayView body, int limit)
{
    int depth = 0;
    bool inString = false;
    for (qsizetype i = 0; i < body.size(); ++i) {
        const char c = body[i];
        if (inString) {
            if (c == '\\')
                ++i;
            else if (c == '"')
                inString = false;
            continue;
        }
        if (c == '"') {
            inString = true;
        } else if (c == '{' || c == '[') {
            if (++depth > limit)
                return false;
        } else if (c == '}' || c == ']') {
            --depth;
        }
    }
    return true;
}

bool looksLikeJson(const QByteArray &body)
{
    for (char c : body) {
        if (c == ' ' || c == '\n' || c == '\r' || c == '\t')
            continue;
        return c == '{' || c == '[';
    }
    return false;
}

bool isFormContentType(const QByteArray &contentType)
{
    return contentType.trimmed().toLower().startsWith("application/x-www-form-urlencoded");
}

bool isJsonContentType(const QByteArray &contentType)
{
    const QByteArray type = contentType.toLower();
    const qsizetype semicolon = type.indexOf(';');
    const QByteArray mime = (semicolon < 0 ? type : type.left(semicolon)).trimmed();
    return mime == "application/json" || mime.endsWith("+json");
}

} // namespace

QString formatName(DecodedPayload::Format format)
{
    switch (format) {
    case DecodedPayload::Format::Empty:
        return QStringLiteral("empty");
    case DecodedPayload::Format::Json:
        return QStringLiteral("json");
    case DecodedPayload::Format::Form:
        return QStringLiteral("form");
    case DecodedPayload::Format::Raw:
        return QStringLiteral("raw");
    }
    return QStringLiteral("raw");
}

QString DecodedField::jsonText() const
{
    if (type == u"object")
        return QStringLiteral("{…}");
    if (type == u"array")
        return QStringLiteral("[…]");
    if (type != u"string")
        return value;
    // RFC 8259 section 7.
    QString out;
    out.reserve(value.size() + 2);
    out += u'"';
    for (QChar c : value) {
        switch (c.unicode()) {
        case u'"':
            out += QStringLiteral("\\\"");
            break;
        case u'\\':
            out += QStringLiteral("\\\\");
            break;
        case u'\n':
            out += QStringLiteral("\\n");
            break;
        case u'\r':
            out += QStringLiteral("\\r");
            break;
        case u'\t':
            out += QStringLiteral("\\t");
            break;
        default:
            if (c.unicode() < 0x20)
                out += QStringLiteral("\\u%1").arg(c.unicode(), 4, 16, QLatin1Char('0'));
            else
                out += c;
        }
    }
    out += u'"';
    return out;
}

QString DecodedPayload::valueAt(const QString &path) const
{
    for (const DecodedField &field : fields) {
        if (field.path == path)
            return field.value;
    }
    return {};
}

QList<DecodedField> PayloadDecoder::decodeJson(const QByteArray &body, QString *error)
{
    QList<DecodedField> fields;
    if (!nestingWithin(body, MaxJsonDepth)) {
        if (error)
            *error =
                QStringLiteral("not decoded: JSON nested deeper than %1 levels").arg(MaxJsonDepth);
        return {};
    }
    // One parser per thread: it keeps its buffers between calls.
    thread_local od::parser parser;
    const simdjson::padded_string padded(body.constData(), static_cast<size_t>(body.size()));
    od::document document;
    simdjson::error_code code = parser.iterate(padded).get(document);
    if (!code) {
        JsonWalker walker(fields);
        bool scalarDocument = false;
        code = document.is_scalar().get(scalarDocument);
        if (!code && scalarDocument) {
            od::json_type type;
            code = document.type().get(type);
            if (!code)
                code = walker.scalar(document, type, QString());
        } else if (!code) {
            od::value root;
            code = document.get_value().get(root);
            if (!code)
                code = walker.walk(root, QString());
        }
        // current_location() is out of bounds only once every token has been consumed.
        if (!code && !scalarDocument &&
            document.current_location().error() != simdjson::OUT_OF_BOUNDS)
            code = simdjson::TRAILING_CONTENT;
    }
    if (code) {
        if (error)
            *error = QStringLiteral("not valid JSON: %1")
                         .arg(QString::fromUtf8(simdjson::error_message(code)));
        return {};
    }
    return fields;
}

QList<DecodedField> PayloadDecoder::decodeForm(const QByteArray &body)
{
    QList<DecodedField> fields;
    for (const QByteArray &pair : body.split('&')) {
        if (pair.isEmpty())
            continue;
        const qsizetype equals = pair.indexOf('=');
        QByteArray name = equals < 0 ? pair : pair.left(equals);
        QByteArray value = equals < 0 ? QByteArray() : pair.mid(equals + 1);
        // In form encoding '+' stands for a space; percent-decoding alone would keep it.
        name.replace('+', ' ');
        value.replace('+', ' ');
        fields.append({QString::fromUtf8(QByteArray::fromPercentEncoding(name)),
                       QStringLiteral("string"),
                       QString::fromUtf8(QByteArray::fromPercentEncoding(value))});
    }
    return fields;
}

DecodedPayload PayloadDecoder::decode(const QByteArray &body, const QByteArray &contentType)
{
    DecodedPayload payload;
    if (body.isEmpty())
        return payload;
    if (isJsonContentType(contentType) || looksLikeJson(body)) {
        QString error;
        payload.fields = decodeJson(body, &error);
        if (error.isEmpty()) {
            payload.format = DecodedPayload::Format::Json;
            return payload;
        }
        payload.error = error;
    }
    if (payload.error.isEmpty() && isFormContentType(contentType)) {
        payload.format = DecodedPayload::Format::Form;
        payload.fields = decodeForm(body);
        return payload;
    }
    payload.format = DecodedPayload::Format::Raw;
    return payload;
}

QByteArray PayloadDecoder::rawMember(const QByteArray &body, const QString &key)
{
    if (!nestingWithin(body, MaxJsonDepth))
        return {};
    thread_local od::parser parser;
    const simdjson::padded_string padded(body.constData(), static_cast<size_t>(body.size()));
    od::document document;
    if (parser.iterate(padded).get(document))
        return {};
    od::object object;
    if (document.get_object().get(object))
        return {};
    const QByteArray name = key.toUtf8();
    od::value value;
    if (object.find_field_unordered(std::string_view(name.constData(), size_t(name.size())))
            .get(value))
        return {};
    od::json_type type;
    if (value.type().get(type))
        return {};
    std::string_view raw;
    if (type == od::json_type::object) {
        od::object member;
        if (value.get_object().get(member) || member.raw_json().get(raw))
            return {};
    } else if (type == od::json_type::array) {
        od::array member;
        if (value.get_array().get(member) || member.raw_json().get(raw))
            return {};
    } else {
        raw = value.raw_json_token();
    }
    QByteArray text(raw.data(), static_cast<qsizetype>(raw.size()));
    return text.trimmed();
}

bool PayloadDecoder::isJsonNumber(std::string_view token)
{
    size_t i = 0;
    const size_t n = token.size();
    auto digit = [&](size_t at) {
        return at < n && token[at] >= '0' && token[at] <= '9';
    };
    if (i < n && token[i] == '-')
        ++i;
    if (!digit(i))
        return false;
    if (token[i] == '0') {
        ++i;
    } else {
        while (digit(i))
            ++i;
    }
    if (i < n && token[i] == '.') {
        ++i;
        if (!digit(i))
            return false;
        while (digit(i))
            ++i;
    }
    if (i < n && (token[i] == 'e' || token[i] == 'E')) {
        ++i;
        if (i < n && (token[i] == '+' || token[i] == '-'))
            ++i;
        if (!digit(i))
            return false;
        while (digit(i))
            ++i;
    }
    return i == n;
}

bool PayloadDecoder::withinDepthLimit(QByteArrayView body)
{
    return nestingWithin(body, MaxJsonDepth);
}

QString PayloadDecoder::memberPath(const QString &parent, std::string_view key)
{
    return childPath(parent, key);
}

int PayloadDecoder::pathDepth(const QString &path)
{
    int depth = 0;
    qsizetype i = 0;
    const qsizetype n = path.size();
    while (i < n) {
        const QChar c = path.at(i);
        if (c == u'.') {
            ++i;
        } else if (c == u'[' && i + 1 < n && path.at(i + 1) == u'"') {
            // A quoted key: up to the unescaped closing quote and its bracket.
            i += 2;
            while (i < n && path.at(i) != u'"')
                i += path.at(i) == u'\\' ? 2 : 1;
            i += 2;
            ++depth;
        } else if (c == u'[') {
            while (i < n && path.at(i) != u']')
                ++i;
            ++i;
            ++depth;
        } else {
            while (i < n && path.at(i) != u'.' && path.at(i) != u'[')
                ++i;
            ++depth;
        }
    }
    return depth;
}
