#pragma once

#include "delivery.h"
#include "endpoint.h"
#include "listenerlimits.h"

#include <QHostAddress>
#include <QObject>

#include <memory>

class DeliveryStore;
class ListenerServer;
class QThread;

// The local HTTP listener. It runs on its own thread, accepts any method on any path, and
// answers each request only after the delivery is committed by the store: 200 (or 404 when no
// endpoint covers the path) once stored, 503 with Retry-After when it could not be stored.
class Listener : public QObject
{
    Q_OBJECT

public:
    static constexpr quint16 DefaultPort = 8484;

    explicit Listener(DeliveryStore &store, QObject *parent = nullptr);
    ~Listener() override;

    // Binds and starts listening; port 0 picks a free port. Blocks until bound or failed.
    bool start(const QHostAddress &address, quint16 port, QString *error,
               const ListenerLimits &limits = ListenerLimits());
    // Stops accepting, waits (up to `drainMs`) for the answers still owed, stops the thread.
    void stop(int drainMs = 10000);
    bool isListening() const { return m_port != 0; }
    // Whether the last start failed because something else has the address and port.
    bool addressWasInUse() const { return m_addressInUse; }

    QHostAddress address() const { return m_address; }
    quint16 port() const { return m_port; }
    // http://HOST:PORT, with IPv6 hosts in brackets.
    QString url() const;

    // Thread-safe; takes effect for the next request.
    void setEndpoints(const QList<Endpoint> &endpoints);

Q_SIGNALS:
    // Emitted on the listener thread once the sender has been answered. `error` is set when the
    // delivery could not be stored (and was answered 503).
    void answered(const DeliverySummary &delivery, const QString &error);

private:
    DeliveryStore &m_store;
    QThread *m_thread = nullptr;
    ListenerServer *m_server = nullptr;
    QHostAddress m_address;
    quint16 m_port = 0;
    bool m_addressInUse = false;
};
