#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>

// Turns at the database's write lock for the threads of one process, taken in the order they
// are asked for. SQLite lets a connection that finds the lock taken sleep and try again (1,
// 2, 5, 10 … 100 ms), so two threads of one process that write all the time wait on each
// other's sleeps, and the faster one can take the lock again and again before the other
// wakes. Taking a turn first, the waiting thread is woken the moment the other commits, and
// SQLite's own waiting is left to other processes.
class WriteTurns
{
public:
    void lock()
    {
        std::unique_lock guard(m_mutex);
        const std::uint64_t mine = m_next++;
        m_turn.wait(guard, [&] { return m_serving == mine; });
    }

    // How many threads wait for their turn.
    std::uint64_t waiting()
    {
        std::lock_guard guard(m_mutex);
        return m_next - m_serving - (m_next > m_serving ? 1 : 0);
    }

    void unlock()
    {
        {
            std::lock_guard guard(m_mutex);
            ++m_serving;
        }
        m_turn.notify_all();
    }

private:
    std::mutex m_mutex;
    std::condition_variable m_turn;
    std::uint64_t m_next = 0;    // guarded by m_mutex
    std::uint64_t m_serving = 0; // guarded by m_mutex
};
