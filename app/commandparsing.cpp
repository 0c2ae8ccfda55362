#include "commandparsing.h"

#include "database.h"
#include "output.h"

#include <QRegularExpression>

using Output::errorLine;

namespace CommandParsing {

const QString Program = QStringLiteral("hookscope");

QCommandLineOption dbOption()
{
    return QCommandLineOption(
        QStringLiteral("db"),
        QStringLiteral("Database file (default: %1).").arg(Database::defaultPath()),
        QStringLiteral("FILE"));
}

QCommandLineOption jsonOption(const QString &what)
{
    return QCommandLineOption(QStringLiteral("json"),
                              QStringLiteral("Print %1 as JSON.").arg(what));
}

// Parses `arguments` (the words after the command) with `parser`; on a mistake prints it and
// the command's usage line.
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
    const QString path = parser.value(QStringLiteral("db"));
    return path.isEmpty() ? Database::defaultPath() : path;
}

} // namespace CommandParsing
