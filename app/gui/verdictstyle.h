#pragma once

#include "verification.h"

#include <QColor>
#include <QIcon>
#include <QPalette>

// How a verdict looks: an icon whose shape differs per verdict (so colour is never the only
// cue), a word, and a colour readable on the current palette, light or dark.
namespace VerdictStyle {

QIcon icon(Verdict verdict);
QString word(Verdict verdict);
QColor color(Verdict verdict, const QPalette &palette);
bool isFailure(Verdict verdict);

} // namespace VerdictStyle
