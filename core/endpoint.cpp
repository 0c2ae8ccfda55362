#include "endpoint.h"

#include <QStringList>

namespace {

struct SchemeEntry
{
    SignatureScheme scheme;
    const char *name;
};

constexpr SchemeEntry SchemeTable[] = {
    {SignatureScheme::None, "none"},
    {SignatureScheme::HostedHooks, "hostedhooks"},
};

} // namespace

QString schemeName(SignatureScheme scheme)
{
    for (const SchemeEntry &entry : SchemeTable) {
        if (entry.scheme == scheme)
            return QString::fromLatin1(entry.name);
    }
    return QStringLiteral("none");
}

std::optional<SignatureScheme> schemeFromName(const QString &name)
{
    for (const SchemeEntry &entry : SchemeTable) {
        if (name.compare(QLatin1String(entry.name), Qt::CaseInsensitive) == 0)
            return entry.scheme;
    }
    return std::nullopt;
}

QStringList schemeNames()
{
    QStringList names;
    for (const SchemeEntry &entry : SchemeTable)
        names.append(QString::fromLatin1(entry.name));
    return names;
}

QString Endpoint::normalizePath(const QString &path)
{
    QString result = path.trimmed();
    if (!result.startsWith(u'/'))
        result.prepend(u'/');
    while (result.size() > 1 && result.endsWith(u'/'))
        result.chop(1);
    return result;
}

bool Endpoint::covers(const QString &requestPath) const
{
    if (path == u"/")
        return true;
    if (!requestPath.startsWith(path))
        return false;
    return requestPath.size() == path.size() || requestPath.at(path.size()) == u'/';
}

const Endpoint *Endpoint::match(const QList<Endpoint> &endpoints, const QString &requestPath)
{
    const Endpoint *best = nullptr;
    for (const Endpoint &endpoint : endpoints) {
        if (endpoint.covers(requestPath) && (!best || endpoint.path.size() > best->path.size()))
            best = &endpoint;
    }
    return best;
}
