#include "secretvault.h"

#include <QCoreApplication>
#include <QThread>
#include <QUuid>

#include <qt6keychain/keychain.h>

#include <chrono>
#include <future>

namespace {

// The service name entries are filed under; the key tells them apart.
const QString Service = QStringLiteral("HookScope");

// Long enough for the user to answer the keychain's unlock prompt.
constexpr std::chrono::seconds AnswerTimeout{120};

} // namespace

SecretVault &SecretVault::instance()
{
    static SecretVault vault;
    return vault;
}

SecretVault::SecretVault() = default;

SecretVault::~SecretVault()
{
    if (m_thread) {
        m_thread->quit();
        m_thread->wait();
        delete m_thread;
    }
}

bool SecretVault::enabled() const
{
    return qEnvironmentVariable("HOOKSCOPE_SECRET_STORAGE")
               .compare(QStringLiteral("database"), Qt::CaseInsensitive) != 0;
}

QString SecretVault::newKey()
{
    return QStringLiteral("endpoint-secret/") + QUuid::createUuid().toString(QUuid::WithoutBraces);
}

SecretVault::Result SecretVault::read(const QString &key)
{
    {
        std::lock_guard lock(m_mutex);
        const auto cached = m_cache.constFind(key);
        if (cached != m_cache.cend())
            return {true, *cached, {}};
    }
    Result result = run(Operation::Read, key, {});
    if (result.ok) {
        std::lock_guard lock(m_mutex);
        m_cache.insert(key, result.value);
    }
    return result;
}

SecretVault::Result SecretVault::write(const QString &key, const QByteArray &value)
{
    Result result = run(Operation::Write, key, value);
    if (result.ok) {
        std::lock_guard lock(m_mutex);
        m_cache.insert(key, value);
    }
    return result;
}

SecretVault::Result SecretVault::remove(const QString &key)
{
    {
        std::lock_guard lock(m_mutex);
        m_cache.remove(key);
    }
    Result result = run(Operation::Remove, key, {});
    // Gone already is what was asked for.
    if (!result.ok && result.error.isEmpty())
        result.ok = true;
    return result;
}

SecretVault::Result SecretVault::run(Operation operation, const QString &key,
                                     const QByteArray &value)
{
    if (!enabled())
        return {
            false, {}, QStringLiteral("the keychain is turned off by HOOKSCOPE_SECRET_STORAGE")};
    if (!QCoreApplication::instance())
        return {false, {}, QStringLiteral("the keychain needs a running application")};
    QObject *context = nullptr;
    {
        std::lock_guard lock(m_mutex);
        if (!m_thread) {
            m_thread = new QThread;
            m_thread->setObjectName(QStringLiteral("hookscope-keychain"));
            m_context = new QObject;
            m_context->moveToThread(m_thread);
            QObject::connect(m_thread, &QThread::finished, m_context, &QObject::deleteLater);
            m_thread->start();
        }
        context = m_context;
        if (QThread::currentThread() == m_thread)
            return {false, {}, QStringLiteral("the keychain was asked from its own thread")};
    }

    // The promise is shared: a job that answers after the caller gave up still has one.
    auto answer = std::make_shared<std::promise<Result>>();
    std::future<Result> future = answer->get_future();
    QMetaObject::invokeMethod(context, [operation, key, value, answer] {
        QKeychain::Job *job = nullptr;
        switch (operation) {
        case Operation::Read:
            job = new QKeychain::ReadPasswordJob(Service);
            break;
        case Operation::Write: {
            auto *write = new QKeychain::WritePasswordJob(Service);
            write->setBinaryData(value);
            job = write;
            break;
        }
        case Operation::Remove:
            job = new QKeychain::DeletePasswordJob(Service);
            break;
        }
        job->setKey(key);
        job->setAutoDelete(true);
        QObject::connect(job, &QKeychain::Job::finished, job, [answer](QKeychain::Job *done) {
            Result result;
            result.ok = done->error() == QKeychain::NoError;
            if (result.ok) {
                if (auto *read = qobject_cast<QKeychain::ReadPasswordJob *>(done))
                    result.value = read->binaryData();
            } else if (done->error() != QKeychain::EntryNotFound ||
                       !qobject_cast<QKeychain::DeletePasswordJob *>(done)) {
                result.error = done->errorString().isEmpty()
                                   ? QStringLiteral("keychain error %1").arg(done->error())
                                   : done->errorString();
            }
            answer->set_value(result);
        });
        job->start();
    });
    if (future.wait_for(AnswerTimeout) != std::future_status::ready)
        return {
            false,
            {},
            QStringLiteral("the keychain did not answer within %1 s").arg(AnswerTimeout.count())};
    return future.get();
}
