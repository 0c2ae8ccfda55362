#pragma once

#include <mutex>
#include <utility>
#include <vector>

// Items handed from one thread to another in runs: the receiving thread is woken once for
// everything pushed until it takes them, instead of once per item (an event posted per item
// costs an allocation, a lock and a wake-up on both sides). Items are taken in push order.
//
//   if (handoff.push(item))   // the first item since the last take: wake the receiver
//       QMetaObject::invokeMethod(receiver, [&] { for (auto &i : handoff.take()) ...; });
template<typename T> class Handoff
{
public:
    // Returns true when the receiver must be woken: nothing was waiting before this item.
    bool push(T item)
    {
        std::lock_guard lock(m_mutex);
        m_items.push_back(std::move(item));
        return m_items.size() == 1;
    }

    std::vector<T> take()
    {
        std::lock_guard lock(m_mutex);
        return std::exchange(m_items, {});
    }

private:
    std::mutex m_mutex;
    std::vector<T> m_items;
};
