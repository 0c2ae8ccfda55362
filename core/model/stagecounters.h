#pragma once

#include <QList>
#include <QString>

#include <array>
#include <atomic>
#include <chrono>
#include <utility>

// Where the time of a delivery goes, stage by stage, counted by the threads that do the work
// (two relaxed atomic additions a stage) and read by `serve --stats` and SIGUSR1, so that a
// profile starts from numbers. Process-wide.
class StageCounters
{
public:
    enum Stage
    {
        Receive,  // listener: reading and framing request bytes
        Process,  // listener: endpoint, signature, decoding, event identity
        Encode,   // listener: the row's columns, made before the handoff to the writer
        Answer,   // listener: writing the answer after the commit
        Insert,   // writer: binding and inserting a batch (units: deliveries)
        Commit,   // writer: COMMIT, its fsync included (units: batches)
        Mapping,  // after the commits: the subscriber mapping (units: deliveries read)
        Indexing, // after the commits: the text index (units: deliveries indexed)
        Schemas,  // after the commits: event schemas and drift (units: deliveries read)
        StageCount
    };

    static StageCounters &instance();

    void add(Stage stage, std::chrono::nanoseconds spent, quint64 units = 1)
    {
        Counter &counter = m_counters[stage];
        counter.nanoseconds.fetch_add(quint64(spent.count()), std::memory_order_relaxed);
        counter.units.fetch_add(units, std::memory_order_relaxed);
        counter.calls.fetch_add(1, std::memory_order_relaxed);
    }

    // CPU time of the thread that ran the stage, where it is measured (the stages after the
    // commits, whose wall time includes waiting for the write lock).
    void addCpu(Stage stage, std::chrono::nanoseconds spent)
    {
        m_counters[stage].cpuNanoseconds.fetch_add(quint64(spent.count()),
                                                   std::memory_order_relaxed);
    }

    // A table of every stage over `wallTime`, and of each of `threads` (name, CPU time).
    QString report(std::chrono::nanoseconds wallTime,
                   const QList<std::pair<QString, std::chrono::nanoseconds>> &threads) const;

private:
    struct Counter
    {
        std::atomic<quint64> nanoseconds{0};
        std::atomic<quint64> units{0};
        std::atomic<quint64> calls{0};
        std::atomic<quint64> cpuNanoseconds{0};
    };
    std::array<Counter, StageCount> m_counters;
};

// Adds the time from its making to its end to a stage.
class StageTimer
{
public:
    explicit StageTimer(StageCounters::Stage stage, quint64 units = 1)
        : m_stage(stage)
        , m_units(units)
        , m_start(std::chrono::steady_clock::now())
    {}
    ~StageTimer()
    {
        StageCounters::instance().add(m_stage, std::chrono::steady_clock::now() - m_start, m_units);
    }
    StageTimer(const StageTimer &) = delete;
    StageTimer &operator=(const StageTimer &) = delete;

    void setUnits(quint64 units) { m_units = units; }

private:
    StageCounters::Stage m_stage;
    quint64 m_units;
    std::chrono::steady_clock::time_point m_start;
};
