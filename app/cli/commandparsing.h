#pragma once

#include "commandline.h"

#include <QCommandLineOption>
#include <QCommandLineParser>
#include <QHostAddress>

#include <optional>

class Database;

// What every subcommand parses alike: --db, --json, --help and argument counts.
namespace CommandParsing {

extern const QString Program;

QCommandLineOption dbOption();
QCommandLineOption jsonOption(const QString &what);
// Parses the words after the command; on a mistake prints it with a hint and returns false.
// Says "hookscope COMMAND: MESSAGE" on stderr; returns `code`.
int fail(const QString &command, const QString &message, int code = CommandLine::Failure);
bool parse(QCommandLineParser &parser, const QString &command, const QStringList &arguments,
           int minPositional, int maxPositional);
// Prints the command's help when --help was given; `synopsis` follows "Usage: hookscope".
bool helpRequested(const QCommandLineParser &parser, const QString &synopsis);
QString databasePath(const QCommandLineParser &parser);

enum class Use
{
    Read, // never creates, adopts or upgrades a file
    Write
};
// Opens the --db file (or the default one) and says on stderr why it could not, or that
// nothing is stored there yet.
bool openDatabase(Database &database, const QCommandLineParser &parser, Use use);

struct ListenAddress
{
    QHostAddress address;
    quint16 port = 0;
};
// HOST:PORT, [IPv6]:PORT, or a bare PORT (on 127.0.0.1).
std::optional<ListenAddress> parseListenAddress(const QString &text, QString *error);

} // namespace CommandParsing
