#pragma once

#include "headerlist.h"

#include <QString>

// The start line and headers of one request, as sent on the wire.
struct RequestHead
{
    QString method;
    QString target;      // path with query
    QString httpVersion; // "1.1"
    HeaderList headers;
};
