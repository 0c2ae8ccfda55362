#include "rawrequestparser.h"

#include <http_parser.h>

namespace {

struct State
{
    RawRequestParser::Request request;
    QByteArray field;
    QByteArray value;
    bool inValue = false;
    bool complete = false;

    void flushHeader()
    {
        if (!field.isEmpty())
            request.head.headers.append(field, value);
        field.clear();
        value.clear();
        inValue = false;
    }
};

State *state(http_parser *parser)
{
    return static_cast<State *>(parser->data);
}

} // namespace

std::optional<RawRequestParser::Request> RawRequestParser::parse(const QByteArray &raw,
                                                                 QString *error)
{
    http_parser parser;
    http_parser_init(&parser, HTTP_REQUEST);
    State s;
    parser.data = &s;
    http_parser_settings settings;
    http_parser_settings_init(&settings);
    settings.on_url = [](http_parser *p, const char *at, size_t length) {
        state(p)->request.head.target += QString::fromLatin1(at, qsizetype(length));
        return 0;
    };
    settings.on_header_field = [](http_parser *p, const char *at, size_t length) {
        State *st = state(p);
        if (st->inValue)
            st->flushHeader();
        st->field.append(at, qsizetype(length));
        return 0;
    };
    settings.on_header_value = [](http_parser *p, const char *at, size_t length) {
        State *st = state(p);
        st->inValue = true;
        st->value.append(at, qsizetype(length));
        return 0;
    };
    settings.on_headers_complete = [](http_parser *p) {
        State *st = state(p);
        st->flushHeader();
        st->request.head.method =
            QString::fromLatin1(http_method_str(static_cast<http_method>(p->method)));
        st->request.head.httpVersion =
            QStringLiteral("%1.%2").arg(p->http_major).arg(p->http_minor);
        return 0;
    };
    settings.on_body = [](http_parser *p, const char *at, size_t length) {
        state(p)->request.body.append(at, qsizetype(length));
        return 0;
    };
    settings.on_message_complete = [](http_parser *p) {
        state(p)->complete = true;
        return 0;
    };
    http_parser_execute(&parser, &settings, raw.constData(), size_t(raw.size()));
    if (!s.complete && HTTP_PARSER_ERRNO(&parser) == HPE_OK)
        http_parser_execute(&parser, &settings, nullptr, 0); // end of input: a body read to EOF
    if (HTTP_PARSER_ERRNO(&parser) != HPE_OK || !s.complete) {
        if (error)
            *error = HTTP_PARSER_ERRNO(&parser) != HPE_OK
                         ? QString::fromLatin1(http_errno_description(HTTP_PARSER_ERRNO(&parser)))
                         : QStringLiteral("the request is incomplete");
        return std::nullopt;
    }
    return s.request;
}
