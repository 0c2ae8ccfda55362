#include "headerlist.h"

#include <algorithm>

namespace {

char foldHeaderCharacter(char c)
{
    if (c == '_')
        return '-';
    if (c >= 'A' && c <= 'Z')
        return static_cast<char>(c - 'A' + 'a');
    return c;
}

} // namespace

void HeaderList::append(const QByteArray &name, const QByteArray &value)
{
    m_entries.append({name, value});
}

bool HeaderList::namesMatch(QByteArrayView a, QByteArrayView b)
{
    if (a.size() != b.size())
        return false;
    for (qsizetype i = 0; i < a.size(); ++i) {
        if (foldHeaderCharacter(a[i]) != foldHeaderCharacter(b[i]))
            return false;
    }
    return true;
}

bool HeaderList::contains(QByteArrayView name) const
{
    return std::any_of(m_entries.cbegin(), m_entries.cend(),
                       [name](const Entry &entry) { return namesMatch(entry.first, name); });
}

QByteArray HeaderList::value(QByteArrayView name) const
{
    for (const Entry &entry : m_entries) {
        if (namesMatch(entry.first, name))
            return entry.second.isNull() ? QByteArray("") : entry.second;
    }
    return {};
}

QList<QByteArray> HeaderList::values(QByteArrayView name) const
{
    QList<QByteArray> result;
    for (const Entry &entry : m_entries) {
        if (namesMatch(entry.first, name))
            result.append(entry.second);
    }
    return result;
}

QByteArray HeaderList::serialize() const
{
    QByteArray out;
    for (const Entry &entry : m_entries)
        out += entry.first + ": " + entry.second + "\r\n";
    return out;
}

HeaderList HeaderList::deserialize(const QByteArray &data)
{
    HeaderList headers;
    qsizetype start = 0;
    while (start < data.size()) {
        qsizetype end = data.indexOf("\r\n", start);
        if (end < 0)
            end = data.size();
        const QByteArrayView line(data.constData() + start, end - start);
        const qsizetype colon = line.indexOf(':');
        if (colon >= 0) {
            QByteArrayView value = line.sliced(colon + 1);
            if (value.startsWith(' '))
                value = value.sliced(1);
            headers.append(line.first(colon).toByteArray(), value.toByteArray());
        }
        start = end + 2;
    }
    return headers;
}
