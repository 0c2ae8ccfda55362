#include "stagecounters.h"

#include <QStringList>

namespace {

struct StageName
{
    const char *name;
    const char *thread;
    const char *unit;
};

constexpr StageName Names[StageCounters::StageCount] = {
    {"receive: read and frame requests", "listener", "call"},
    {"process: endpoint, signature, decode", "listener", "delivery"},
    {"encode: columns for the writer", "listener", "delivery"},
    {"answer: written after the commit", "listener", "answer"},
    {"insert: bind and INSERT", "writer", "delivery"},
    {"commit: COMMIT and its fsync", "writer", "batch"},
    {"mapping: subscriber mapping", "after commits", "delivery read"},
    {"indexing: text index", "after commits", "delivery"},
    {"schemas: event schemas and drift", "after commits", "delivery read"},
};

QString column(const QString &text, int width, bool right = true)
{
    return right ? text.rightJustified(width) : text.leftJustified(width);
}

} // namespace

StageCounters &StageCounters::instance()
{
    static StageCounters counters;
    return counters;
}

QString
StageCounters::report(std::chrono::nanoseconds wallTime,
                      const QList<std::pair<QString, std::chrono::nanoseconds>> &threads) const
{
    const quint64 stored = m_counters[Insert].units.load(std::memory_order_relaxed);
    QStringList lines;
    lines.append(QStringLiteral("%1 deliveries stored in %2 s; time per stage:")
                     .arg(stored)
                     .arg(double(wallTime.count()) / 1e9, 0, 'f', 1));
    lines.append(column(QStringLiteral("stage"), 38, false) + column(QStringLiteral("thread"), 15) +
                 column(QStringLiteral("calls"), 10) + column(QStringLiteral("units"), 10) +
                 column(QStringLiteral("ms"), 10) + column(QStringLiteral("us/unit"), 9) +
                 column(QStringLiteral("us/delivery"), 13) +
                 column(QStringLiteral("cpu us/delivery"), 17));
    for (int stage = 0; stage < StageCount; ++stage) {
        const Counter &counter = m_counters[stage];
        const quint64 ns = counter.nanoseconds.load(std::memory_order_relaxed);
        const quint64 units = counter.units.load(std::memory_order_relaxed);
        const quint64 calls = counter.calls.load(std::memory_order_relaxed);
        const quint64 cpu = counter.cpuNanoseconds.load(std::memory_order_relaxed);
        lines.append(column(QString::fromLatin1(Names[stage].name), 38, false) +
                     column(QString::fromLatin1(Names[stage].thread), 15) +
                     column(QString::number(calls), 10) + column(QString::number(units), 10) +
                     column(QString::number(double(ns) / 1e6, 'f', 1), 10) +
                     column(units ? QString::number(double(ns) / 1e3 / double(units), 'f', 1)
                                  : QStringLiteral("-"),
                            9) +
                     column(stored ? QString::number(double(ns) / 1e3 / double(stored), 'f', 1)
                                   : QStringLiteral("-"),
                            13) +
                     column(stored && cpu
                                ? QString::number(double(cpu) / 1e3 / double(stored), 'f', 1)
                                : QStringLiteral("-"),
                            17));
    }
    if (!threads.isEmpty()) {
        lines.append(QStringLiteral("CPU time per thread (user and system):"));
        for (const auto &[name, cpu] : threads) {
            lines.append(
                column(name, 38, false) +
                column(QString::number(double(cpu.count()) / 1e6, 'f', 1) + QStringLiteral(" ms"),
                       15) +
                column(stored
                           ? QString::number(double(cpu.count()) / 1e3 / double(stored), 'f', 1) +
                                 QStringLiteral(" us/delivery")
                           : QString(),
                       20));
        }
    }
    return lines.join(u'\n');
}
