#include "listener.h"

#include "deliverystore.h"
#include "listenerserver.h"

#include <QDeadlineTimer>
#include <QThread>

Listener::Listener(DeliveryStore &store, QObject *parent)
    : QObject(parent)
    , m_store(store)
{}

Listener::~Listener()
{
    stop();
}

bool Listener::start(const QHostAddress &address, quint16 port, QString *error,
                     const ListenerLimits &limits)
{
    stop();
    m_thread = new QThread;
    m_thread->setObjectName(QStringLiteral("hookscope-listener"));
    m_server = new ListenerServer(m_store);
    m_server->setEndpoints(m_store.endpoints());
    connect(&m_store, &DeliveryStore::endpointsChanged, m_server, &ListenerServer::setEndpoints,
            Qt::DirectConnection);
    connect(m_server, &ListenerServer::answered, this, &Listener::answered, Qt::DirectConnection);
    m_server->moveToThread(m_thread);
    connect(m_thread, &QThread::finished, m_server, &QObject::deleteLater);
    m_thread->start();

    quint16 bound = 0;
    QString bindError;
    m_addressInUse = false;
    QMetaObject::invokeMethod(
        m_server,
        [&] {
            bound = m_server->bindAndListen(address, port, limits, &bindError, &m_addressInUse);
        },
        Qt::BlockingQueuedConnection);
    if (bound == 0) {
        if (error)
            *error = QStringLiteral("cannot listen on %1:%2: %3")
                         .arg(address.toString())
                         .arg(port)
                         .arg(bindError);
        stop();
        return false;
    }
    m_address = address;
    m_port = bound;
    return true;
}

void Listener::stop(int drainMs)
{
    if (!m_thread)
        return;
    QMetaObject::invokeMethod(
        m_server, [this] { m_server->stopAccepting(); }, Qt::BlockingQueuedConnection);
    // Answers still owed come back from the store as events on the listener thread, and are
    // written out there before the connections close.
    const QDeadlineTimer deadline(drainMs);
    for (;;) {
        bool drained = false;
        QMetaObject::invokeMethod(
            m_server, [this, &drained] { drained = m_server->drained(); },
            Qt::BlockingQueuedConnection);
        if (drained || deadline.hasExpired())
            break;
        QThread::msleep(5);
    }
    disconnect(&m_store, nullptr, m_server, nullptr);
    m_thread->quit();
    m_thread->wait();
    delete m_thread;
    m_thread = nullptr;
    m_server = nullptr;
    m_port = 0;
}

QString Listener::url() const
{
    const QString host = m_address.protocol() == QAbstractSocket::IPv6Protocol
                             ? u'[' + m_address.toString() + u']'
                             : m_address.toString();
    return QStringLiteral("http://%1:%2").arg(host).arg(m_port);
}

void Listener::setEndpoints(const QList<Endpoint> &endpoints)
{
    if (m_server)
        m_server->setEndpoints(endpoints);
}
