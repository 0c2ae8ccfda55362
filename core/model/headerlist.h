#pragma once

#include <QByteArray>
#include <QList>
#include <QPair>

// The request headers exactly as they arrived: in order, duplicates kept, names as spelled.
class HeaderList
{
public:
    using Entry = QPair<QByteArray, QByteArray>;

    HeaderList() = default;
    explicit HeaderList(QList<Entry> entries)
        : m_entries(std::move(entries))
    {}

    void append(const QByteArray &name, const QByteArray &value);
    const QList<Entry> &entries() const { return m_entries; }
    qsizetype size() const { return m_entries.size(); }
    bool isEmpty() const { return m_entries.isEmpty(); }

    // Header names are compared without regard to case, and '-' and '_' count as the same
    // character: senders documented through Rack or CGI names (HTTP_HOSTEDHOOKS_SIGNATURE) are
    // sometimes configured with underscores.
    static bool namesMatch(QByteArrayView a, QByteArrayView b);

    bool contains(QByteArrayView name) const;
    // The first value of the header; a null QByteArray when it is absent.
    QByteArray value(QByteArrayView name) const;
    QList<QByteArray> values(QByteArrayView name) const;

    // "Name: value\r\n" per header, the wire form; the storage format of the header column.
    QByteArray serialize() const;
    static HeaderList deserialize(const QByteArray &data);

    friend bool operator==(const HeaderList &, const HeaderList &) = default;

private:
    QList<Entry> m_entries;
};
