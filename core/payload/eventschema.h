#pragma once

#include "payloaddecoder.h"

#include <QByteArray>
#include <QByteArrayView>
#include <QJsonObject>
#include <QList>
#include <QString>
#include <QStringList>

#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

// What the deliveries of one event type on one endpoint carried (see SchemaLearner): every field
// path (array elements as "[]", so "data.items[].sku"), the JSON types it had, how many deliveries
// carried it, a few distinct example values exactly as sent, and the string formats all its values
// had. Only JSON bodies are learned.
//
// Paths are the decoder's (see PayloadDecoder): "" is the body itself, keys that are not
// plain are quoted (a["x.y"]), and array indexes become "[]".
namespace SchemaTypes {
enum : unsigned
{
    Null = 1,
    Boolean = 2,
    Integer = 4, // a number written without a fraction or an exponent
    Number = 8,  // any other number
    String = 16,
    Object = 32,
    Array = 64,
};
// "integer", "number|string": the names of the types in `types`, in a fixed order.
QString names(unsigned types);
} // namespace SchemaTypes

namespace StringFormats {
enum : unsigned
{
    DateTime = 1,      // ISO 8601 / RFC 3339 date and time
    Uuid = 2,          // 8-4-4-4-12 hexadecimal digits
    Email = 4,         // local@domain.tld
    Url = 8,           // scheme://...
    IntegerString = 16 // an integer written as a string: "42"
};
constexpr unsigned All = DateTime | Uuid | Email | Url | IntegerString;
unsigned of(const QString &text);
unsigned of(std::string_view utf8);
QString names(unsigned formats); // "date-time", "uuid", "email", "url", "integer-string"
} // namespace StringFormats

struct SchemaField
{
    unsigned types = 0;
    qint64 deliveries = 0;  // deliveries that carried the field at least once
    qint64 occurrences = 0; // times it appeared (an array element field: once per element)
    qint64 objects = 0;     // times it was an object: its members are required against this
    qint64 strings = 0;     // times it was a string
    unsigned formats = 0;   // the formats every one of its strings had
    qint64 firstSeenMs = 0;
    qint64 lastSeenMs = 0;
    qint64 firstDeliveryId = 0;
    // Distinct values as JSON text exactly as sent ("1.10", "\"a\""), at most MaxExamples.
    QStringList examples;

    static constexpr int MaxExamples = 3;
    static constexpr int MaxExampleLength = 120; // longer values are not kept as examples

    friend bool operator==(const SchemaField &, const SchemaField &) = default;
};

// One way a delivery differs from what its event type carried before it.
struct SchemaDrift
{
    enum class Kind
    {
        NewField,    // never carried before
        Missing,     // carried by every delivery before (where its parent was an object)
        TypeChanged, // carried with a type never seen before
    };
    QString path;
    Kind kind = Kind::NewField;
    QString before; // the types seen before ("" for a new field)
    QString now;    // the type(s) now ("" for a missing field)

    static QString kindName(Kind kind); // "new-field", "missing", "type-changed"
    static std::optional<Kind> kindFromName(const QString &name);
    friend bool operator==(const SchemaDrift &, const SchemaDrift &) = default;
};

class EventSchema
{
public:
    QString endpoint;
    QString eventType;
    qint64 deliveries = 0; // JSON deliveries learned
    qint64 drifted = 0;    // of which differed from what came before them
    qint64 firstSeenMs = 0;
    qint64 lastSeenMs = 0;
    qint64 lastDeliveryId = 0;
    std::map<QString, SchemaField> fields;

    // The paths learned, parents before children.
    QStringList paths() const;

    // JSON Schema (draft 2020-12) every delivery learned validates against: `required` lists
    // the members present in every object seen at that place; types as seen.
    QJsonObject toJsonSchema() const;

    // Path helpers on the decoder's path syntax.
    // The schema path of a decoded path: indexes become "[]" ("a[2].b" -> "a[].b").
    static QString schemaPathOf(const QString &decodedPath);
    // "a.b" -> "a"; "a[]" -> "a"; "b" -> ""; "" -> nullopt.
    static std::optional<QString> parentOf(const QString &path);
    // Whether the path names an array element ("a[]") rather than an object member.
    static bool isElement(const QString &path);
    // The member name the path ends with ("a[\"x.y\"]" -> "x.y"); empty for an element.
    static QString memberName(const QString &path);
    // The steps of a path: member names (unescaped) and array elements ("[]", or "[2]" in a
    // decoded path: `indexed`). Nothing for a path that is not well formed.
    struct Step
    {
        QString name;
        bool element = false;
        bool indexed = false;
    };
    static std::optional<std::vector<Step>> stepsOf(const QString &path);

private:
    QJsonObject schemaAt(const QString &path, const SchemaField &field,
                         const std::map<QString, std::vector<QString>> &children) const;
};

// Learns an EventSchema one delivery at a time, in id order, and tells how each delivery
// drifted from the ones before it. The schema is kept as a tree walked alongside each body's
// JSON, so that a delivery costs a lookup per value rather than a path built and hashed.
class SchemaLearner
{
public:
    SchemaLearner();
    ~SchemaLearner();
    SchemaLearner(SchemaLearner &&) noexcept;
    SchemaLearner &operator=(SchemaLearner &&) noexcept;

    // Continues from what was learned before (a schema read back from the database).
    static SchemaLearner from(const EventSchema &schema);

    // Learns one delivery's body: its drift from the deliveries before it (nothing for the
    // first), or nullopt when the body is not a JSON object or array (then nothing is learned).
    std::optional<QList<SchemaDrift>> learn(QByteArrayView body, qint64 deliveryId,
                                            qint64 receivedAtMs);

    qint64 deliveries() const;
    // A counter that moves with every delivery learned: fieldsSince(stamp()) taken before a
    // run of deliveries lists the fields those deliveries carried.
    quint64 stamp() const;
    std::vector<std::pair<QString, SchemaField>> fieldsSince(quint64 stamp) const;
    EventSchema schema(const QString &endpoint, const QString &eventType) const;
    // The same without its fields: the counts and times of the event type.
    EventSchema summary(const QString &endpoint, const QString &eventType) const;

private:
    struct Node;
    struct State;
    std::unique_ptr<State> d;
};
