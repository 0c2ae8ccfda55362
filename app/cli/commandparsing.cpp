#include "commandparsing.h"

#include "database.h"
#include "output.h"

#include <QRegularExpression>

#include <optional>

using Output::errorLine;

namespace CommandParsing {

const QString Program = QStringLiteral("hookscope");

QCommandLineOption dbOption()
{
    return QCommandLineOption(
        QStringLiteral("db"),
        QStringLiteral("Database file, or a team database postgresql://USER@HOST:PORT/NAME "
                       "(default: $HOOKSCOPE_DB, else %1).")
            .arg(Database::defaultPath()),
        QStringLiteral("FILE"));
}

QCommandLineOption jsonOption(const QString &what)
{
    return QCommandLineOption(QStringLiteral("json"),
                              QStringLiteral("Print %1 as JSON.").arg(what));
}

// Parses `arguments` (the words after the command) with `parser`; on a mistake prints it and
// the command's usage line.
int fail(const QString &command, const QString &message, int code)
{
    Output::errorLine(QStringLiteral("%1 %2: %3").arg(Program, command, message));
    return code;
}

bool parse(QCommandLineParser &parser, const QString &command, const QStringList &arguments,
           int minPositional, int maxPositional)
{
    parser.setSingleDashWordOptionMode(QCommandLineParser::ParseAsLongOptions);
    parser.addOption(QCommandLineOption({QStringLiteral("h"), QStringLiteral("help")},
                                        QStringLiteral("Show this help.")));
    if (!parser.parse(QStringList{Program} + arguments)) {
        errorLine(QStringLiteral("%1 %2: %3").arg(Program, command, parser.errorText()));
        errorLine(QStringLiteral("Try '%1 %2 --help'.").arg(Program, command));
        return false;
    }
    if (parser.isSet(QStringLiteral("help")))
        return true;
    const qsizetype count = parser.positionalArguments().size();
    if (count < minPositional) {
        errorLine(
            QStringLiteral("%1 %2: missing argument. Try '%1 %2 --help'.").arg(Program, command));
        return false;
    }
    if (maxPositional >= 0 && count > maxPositional) {
        errorLine(QStringLiteral("%1 %2: unexpected argument '%3'. Try '%1 %2 --help'.")
                      .arg(Program, command, parser.positionalArguments().at(maxPositional)));
        return false;
    }
    return true;
}

bool helpRequested(const QCommandLineParser &parser, const QString &synopsis)
{
    if (!parser.isSet(QStringLiteral("help")))
        return false;
    QString help = parser.helpText();
    // QCommandLineParser's own usage line would name the program only.
    help.replace(QRegularExpression(QStringLiteral("^Usage: [^\n]*")),
                 QStringLiteral("Usage: %1 %2").arg(Program, synopsis));
    Output::out(help);
    return true;
}

QString databasePath(const QCommandLineParser &parser)
{
    QString path = parser.value(QStringLiteral("db"));
    if (path.isEmpty())
        path = qEnvironmentVariable("HOOKSCOPE_DB");
    return path.isEmpty() ? Database::defaultPath() : path;
}

bool openDatabase(Database &database, const QCommandLineParser &parser, Use use)
{
    const QString path = databasePath(parser);
    QString error;
    const bool opened =
        use == Use::Read ? database.openReadOnly(path, &error) : database.open(path, &error);
    if (!opened) {
        Output::errorLine(QStringLiteral("%1: %2").arg(Program, error));
        return false;
    }
    if (database.isStandIn())
        Output::errorLine(
            QStringLiteral("%1: note: no HookScope database at %2 yet; nothing is stored there")
                .arg(Program, path));
    return true;
}

std::optional<ListenAddress> parseListenAddress(const QString &text, QString *error)
{
    static const QRegularExpression pattern(
        QStringLiteral(R"(^(?:\[([0-9A-Fa-f:.]+)\]|([^:\[\]]*)):(\d{1,5})$|^(\d{1,5})$)"));
    const QRegularExpressionMatch match = pattern.match(text.trimmed());
    if (!match.hasMatch()) {
        *error =
            QStringLiteral("--listen wants HOST:PORT (e.g. 127.0.0.1:8484), got '%1'").arg(text);
        return std::nullopt;
    }
    const QString portText = match.captured(4).isEmpty() ? match.captured(3) : match.captured(4);
    const uint port = portText.toUInt();
    if (port > 65535) {
        *error = QStringLiteral("port %1 is out of range (0-65535)").arg(port);
        return std::nullopt;
    }
    QString host = match.captured(1).isEmpty() ? match.captured(2) : match.captured(1);
    if (!match.captured(4).isEmpty() || host.isEmpty())
        host = QStringLiteral("127.0.0.1");
    if (host == u"localhost")
        host = QStringLiteral("127.0.0.1");
    QHostAddress address;
    if (!address.setAddress(host)) {
        *error =
            QStringLiteral("'%1' is not an IP address (use 127.0.0.1, 0.0.0.0 or ::1)").arg(host);
        return std::nullopt;
    }
    return ListenAddress{address, static_cast<quint16>(port)};
}

} // namespace CommandParsing
