#pragma once

#include <QByteArray>
#include <QList>
#include <QString>
#include <QStringList>

#include <optional>

// RFC 4180 CSV through libcsv: fields with commas, quotes, line breaks and any UTF-8.
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
