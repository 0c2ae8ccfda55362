#pragma once

#include <QByteArray>
#include <QList>
#include <QString>

#include <string_view>

// One value found in a body. `value` is the exact text: a JSON number keeps the characters the
// sender wrote ("1.10" stays "1.10"), a JSON string is unescaped, containers have no value.
struct DecodedField
{
    QString path;
    QString type; // object, array, string, number, boolean, null (JSON); string (form)
    QString value;

    // The value as JSON text: a string quoted and escaped, a number as written, "{…}" and
    // "[…]" for an object and an array.
    QString jsonText() const;

    friend bool operator==(const DecodedField &, const DecodedField &) = default;
};

struct DecodedPayload
{
    enum class Format
    {
        Empty,
        Json,
        Form,
        Raw,
    };

    Format format = Format::Empty;
    QList<DecodedField> fields;
    // Why a body that looked like JSON could not be decoded; empty otherwise.
    QString error;

    // The value of the field at `path`, or a null QString.
    QString valueAt(const QString &path) const;
};

QString formatName(DecodedPayload::Format format);

class PayloadDecoder
{
public:
    // `contentType` decides form decoding; JSON is recognised by content as well, since
    // senders often label it text/plain or nothing at all.
    // What identifies the delivery is read from the fields by ProviderMetadata.
    static DecodedPayload decode(const QByteArray &body, const QByteArray &contentType = {});

    // The JSON text of the top-level member `key` exactly as sent (an object, an array or a
    // scalar); empty when the body is not a JSON object with that member.
    static QByteArray rawMember(const QByteArray &body, const QString &key);

    static QList<DecodedField> decodeJson(const QByteArray &body, QString *error);
    static QList<DecodedField> decodeForm(const QByteArray &body);

    // RFC 8259's number grammar (the on-demand parser hands out raw tokens unchecked).
    static bool isJsonNumber(std::string_view token);
    // Whether `body` nests objects and arrays no deeper than the decoder decodes.
    static bool withinDepthLimit(QByteArrayView body);
    // The path of member `key` (UTF-8) of the object at `parent`: "a.b", or a["x.y"] for a key
    // that is not plain.
    static QString memberPath(const QString &parent, std::string_view key);

    // How deep a field path lies: "" is 0, "a" 1, "a.b[2]" 3, "a[\"x.y\"]" 2.
    static int pathDepth(const QString &path);
};
