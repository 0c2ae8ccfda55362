#pragma once

#include <QByteArray>
#include <QList>
#include <QString>

#include <optional>

enum class SignatureScheme
{
    None,
    HostedHooks,
};

QString schemeName(SignatureScheme scheme);
std::optional<SignatureScheme> schemeFromName(const QString &name);
QStringList schemeNames();

// One signing secret. Its label names it in verdicts so that the value never has to be shown.
struct EndpointSecret
{
    QString label;
    QByteArray value;

    friend bool operator==(const EndpointSecret &, const EndpointSecret &) = default;
};

// A place deliveries are sent to: requests whose path starts with `path` belong to it.
struct Endpoint
{
    static constexpr int DefaultToleranceSeconds = 300;

    qint64 id = 0;
    QString name;
    QString path = QStringLiteral("/");
    SignatureScheme scheme = SignatureScheme::None;
    QList<EndpointSecret> secrets;
    int toleranceSeconds = DefaultToleranceSeconds;

    bool hasSecret() const { return !secrets.isEmpty(); }

    // Paths are kept with one leading slash and no trailing one ("/" alone for the root).
    static QString normalizePath(const QString &path);
    // Whether `requestPath` (without query) lies under this endpoint's path on a segment
    // boundary: "/hooks" takes "/hooks" and "/hooks/a", not "/hooksx".
    bool covers(const QString &requestPath) const;
    // The endpoint with the longest path covering `requestPath`, or nullptr.
    static const Endpoint *match(const QList<Endpoint> &endpoints, const QString &requestPath);

    friend bool operator==(const Endpoint &, const Endpoint &) = default;
};
