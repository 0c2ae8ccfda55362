#pragma once

#include "headerlist.h"
#include "verification.h"

#include <QByteArray>

// How a delivery's verification is kept in its row. The signed string of a built-in scheme is
// what the scheme signs, read from the delivery's own headers and body: the row leaves it out
// and reading the row computes it again, instead of keeping a second, escaped copy of the
// start of the body in every row. The generic scheme (whose recipe is the endpoint's, and may
// change) and truncated bodies keep it. Rows written with it keep it.
namespace StoredVerification {

// The JSON kept in the row's verification column.
QByteArray encode(const Verification &verification, const HeaderList &headers, bool truncated);

// The verification of a row, its signed string computed again where the row left it out.
Verification decode(const QByteArray &json, const HeaderList &headers, const QByteArray &body);

} // namespace StoredVerification
