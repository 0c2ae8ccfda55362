#pragma once

#include "requesthead.h"

#include <QByteArray>

#include <optional>

// Parses one complete HTTP/1.x request held in memory (as ngrok records them), with the same
// http_parser the listener uses.
class RawRequestParser
{
public:
    struct Request
    {
        RequestHead head;
        QByteArray body;
    };
    static std::optional<Request> parse(const QByteArray &raw, QString *error);
};
