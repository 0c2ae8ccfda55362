#pragma once

#include <QByteArray>
#include <QList>
#include <QString>
#include <QStringList>

#include <optional>

// RFC 4180 CSV through libcsv: fields with commas, quotes, line breaks and any UTF-8.
//
// A spreadsheet runs a field that starts with =, +, -, @, a tab or a carriage return as a
// formula (=HYPERLINK(...), say), whatever the quoting; payloads are the senders' text. So
// row() puts an apostrophe before such a field, and before one that starts with an apostrophe
// already, and parse() takes one leading apostrophe away: a round trip keeps every value, and
// a spreadsheet shows the text without running it (OWASP, "CSV Injection").
namespace CsvCodec {

QByteArray row(const QStringList &fields);
// The records of `csv` with the line each starts on (1-based); nothing on a parse error,
// which `error` then describes.
struct Record
{
    int line = 0;
    QStringList fields;
};
std::optional<QList<Record>> parse(const QByteArray &csv, QString *error);

} // namespace CsvCodec
