#include "deliverydiff.h"

#include "payloaddecoder.h"

#include <QHash>
#include <QSet>

namespace {

struct Value
{
    QString type;
    QString text;
};

struct Decoded
{
    bool structured = false; // JSON or form: compared by field
    QList<DecodedField> fields;
};

Decoded decoded(const Delivery &d)
{
    const DecodedPayload payload = PayloadDecoder::decode(d.body, d.headers.value("Content-Type"));
    Decoded out;
    out.structured = payload.format == DecodedPayload::Format::Json ||
                     payload.format == DecodedPayload::Format::Form;
    out.fields = payload.fields;
    return out;
}

// Whether `path` lies inside `container` ("a.b" and "a[0]" inside "a").
bool inside(const QString &path, const QString &container)
{
    if (container.isEmpty())
        return !path.isEmpty();
    return path.size() > container.size() && path.startsWith(container) &&
           (path.at(container.size()) == u'.' || path.at(container.size()) == u'[');
}

void diffBodies(const Delivery &a, const Delivery &b, QList<DeliveryChange> &changes)
{
    const Decoded before = decoded(a);
    const Decoded after = decoded(b);
    if (!before.structured || !after.structured) {
        if (a.body != b.body || before.structured != after.structured) {
            changes.append({DeliveryChange::Part::Body, DeliveryChange::Kind::Changed, QString(),
                            Verification::displayBytes(a.body, 200),
                            Verification::displayBytes(b.body, 200)});
        }
        return;
    }
    // A path written more than once (a form's repeated name, a JSON key given twice) is
    // compared occurrence by occurrence: the n-th with the n-th.
    const auto keysOf = [](const QList<DecodedField> &fields) {
        QList<QString> keys;
        QHash<QString, int> seen;
        keys.reserve(fields.size());
        for (const DecodedField &f : fields) {
            const int n = seen[f.path]++;
            keys.append(n == 0 ? f.path : f.path + QChar(0x1f) + QString::number(n));
        }
        return keys;
    };
    const QList<QString> oldKeys = keysOf(before.fields);
    const QList<QString> newKeys = keysOf(after.fields);
    QHash<QString, Value> old;
    for (qsizetype i = 0; i < before.fields.size(); ++i)
        old.insert(oldKeys[i], {before.fields[i].type, before.fields[i].jsonText()});
    QHash<QString, Value> now;
    for (qsizetype i = 0; i < after.fields.size(); ++i)
        now.insert(newKeys[i], {after.fields[i].type, after.fields[i].jsonText()});
    // In document order: the removed fields where they were, then each field of the second.
    QString removedContainer;
    bool haveRemoved = false;
    for (qsizetype i = 0; i < before.fields.size(); ++i) {
        const DecodedField &f = before.fields[i];
        if (now.contains(oldKeys[i]))
            continue;
        if (haveRemoved && inside(f.path, removedContainer))
            continue;
        changes.append({DeliveryChange::Part::Body, DeliveryChange::Kind::Removed, f.path,
                        f.jsonText(), QString()});
        removedContainer = f.path;
        haveRemoved = f.type == u"object" || f.type == u"array";
    }
    QString addedContainer;
    bool haveAdded = false;
    for (qsizetype i = 0; i < after.fields.size(); ++i) {
        const DecodedField &f = after.fields[i];
        const auto was = old.constFind(newKeys[i]);
        if (was == old.constEnd()) {
            if (haveAdded && inside(f.path, addedContainer))
                continue;
            changes.append({DeliveryChange::Part::Body, DeliveryChange::Kind::Added, f.path,
                            QString(), f.jsonText()});
            addedContainer = f.path;
            haveAdded = f.type == u"object" || f.type == u"array";
            continue;
        }
        const QString text = f.jsonText();
        if (was->type != f.type || was->text != text)
            changes.append({DeliveryChange::Part::Body, DeliveryChange::Kind::Changed, f.path,
                            was->text, text});
    }
}

QString headerValue(const HeaderList &headers, const QByteArray &lowerName)
{
    QStringList values;
    for (const auto &[name, value] : headers.entries()) {
        if (name.toLower() == lowerName)
            values.append(QString::fromLatin1(value));
    }
    return values.join(QStringLiteral(", "));
}

void diffHeaders(const Delivery &a, const Delivery &b, QList<DeliveryChange> &changes)
{
    QList<QByteArray> names; // in the order first seen, each once, by its lower-case name
    QList<QByteArray> shown;
    QSet<QByteArray> seen;
    for (const HeaderList *headers : {&a.headers, &b.headers}) {
        for (const auto &[name, value] : headers->entries()) {
            const QByteArray lower = name.toLower();
            if (seen.contains(lower))
                continue;
            seen.insert(lower);
            names.append(lower);
            shown.append(name);
        }
    }
    for (qsizetype i = 0; i < names.size(); ++i) {
        const bool inA = a.headers.contains(names[i]);
        const bool inB = b.headers.contains(names[i]);
        const QString before = headerValue(a.headers, names[i]);
        const QString after = headerValue(b.headers, names[i]);
        const QString name = QString::fromLatin1(shown[i]);
        if (inA && !inB)
            changes.append({DeliveryChange::Part::Header, DeliveryChange::Kind::Removed, name,
                            before, QString()});
        else if (!inA && inB)
            changes.append({DeliveryChange::Part::Header, DeliveryChange::Kind::Added, name,
                            QString(), after});
        else if (before != after)
            changes.append(
                {DeliveryChange::Part::Header, DeliveryChange::Kind::Changed, name, before, after});
    }
}

} // namespace

QString DeliveryChange::kindName(Kind kind)
{
    switch (kind) {
    case Kind::Added:
        return QStringLiteral("added");
    case Kind::Removed:
        return QStringLiteral("removed");
    case Kind::Changed:
        return QStringLiteral("changed");
    }
    return {};
}

QJsonObject DeliveryChange::toJson() const
{
    QJsonObject object{
        {QStringLiteral("part"),
         part == Part::Body ? QStringLiteral("body") : QStringLiteral("header")},
        {QStringLiteral("change"), kindName(kind)},
        {QStringLiteral("path"), path},
    };
    object.insert(QStringLiteral("before"),
                  kind == Kind::Added ? QJsonValue(QJsonValue::Null) : QJsonValue(before));
    object.insert(QStringLiteral("after"),
                  kind == Kind::Removed ? QJsonValue(QJsonValue::Null) : QJsonValue(after));
    return object;
}

QList<DeliveryChange> DeliveryDiff::between(const Delivery &before, const Delivery &after)
{
    QList<DeliveryChange> changes;
    diffBodies(before, after, changes);
    diffHeaders(before, after, changes);
    return changes;
}
