#pragma once

#include <QStringList>

// `hookscope db copy --from SRC --to DST`: a HookScope file's history into a team database, or
// a team database's into a file (see StoreCopy).
namespace CopyCommand {

// `arguments`: the words after `db copy`.
int run(const QStringList &arguments);

} // namespace CopyCommand
