#include "csvcodec.h"

#include <csv.h>

namespace CsvCodec {

namespace {

struct ParseState
{
    QList<Record> records;
    QStringList fields;
    const char *start = nullptr;
    int line = 1;
    int recordLine = 1;
};

} // namespace

QByteArray row(const QStringList &fields)
{
    QByteArray out;
    for (qsizetype i = 0; i < fields.size(); ++i) {
        if (i > 0)
            out += ',';
        QByteArray field = fields[i].toUtf8();
        if (!field.isEmpty() && QByteArrayView("=+-@\t\r'").contains(field.front()))
            field.prepend('\'');
        // Every field quoted: the worst case is every byte a quote, doubled, plus two.
        QByteArray quoted(field.size() * 2 + 2, '\0');
        const size_t written = csv_write(quoted.data(), size_t(quoted.size()), field.constData(),
                                         size_t(field.size()));
        quoted.truncate(qsizetype(written));
        out += quoted;
    }
    return out + "\r\n";
}

std::optional<QList<Record>> parse(const QByteArray &csv, QString *error)
{
    csv_parser parser;
    if (csv_init(&parser, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL) != 0) {
        if (error)
            *error = QStringLiteral("cannot start the CSV parser");
        return std::nullopt;
    }
    ParseState state;
    auto onField = [](void *data, size_t length, void *context) {
        auto *s = static_cast<ParseState *>(context);
        if (s->fields.isEmpty())
            s->recordLine = s->line;
        QByteArrayView field(static_cast<const char *>(data), qsizetype(length));
        if (field.startsWith('\''))
            field = field.sliced(1); // put there by row() (see the header)
        s->fields.append(QString::fromUtf8(field));
    };
    auto onRecord = [](int, void *context) {
        auto *s = static_cast<ParseState *>(context);
        if (!(s->fields.size() == 1 && s->fields.constFirst().isEmpty()))
            s->records.append({s->recordLine, s->fields});
        s->fields.clear();
    };
    // Line numbers for messages: libcsv reports records, so lines are counted alongside, in
    // chunks that end at each line break.
    qsizetype position = 0;
    bool failed = false;
    while (position < csv.size() && !failed) {
        qsizetype end = csv.indexOf('\n', position);
        end = end < 0 ? csv.size() : end + 1;
        const size_t length = size_t(end - position);
        if (csv_parse(&parser, csv.constData() + position, length, onField, onRecord, &state) !=
            length)
            failed = true;
        ++state.line;
        position = end;
    }
    if (!failed && csv_fini(&parser, onField, onRecord, &state) != 0)
        failed = true;
    if (failed && error)
        *error = QStringLiteral("line %1: %2")
                     .arg(state.line - 1)
                     .arg(QString::fromLatin1(csv_strerror(csv_error(&parser))));
    csv_free(&parser);
    if (failed)
        return std::nullopt;
    return state.records;
}

} // namespace CsvCodec
