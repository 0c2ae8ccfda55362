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

// Writes and removals come from the user's own action: long enough to answer the keychain's
// unlock prompt. Reads come from the threads that store and show deliveries: short.
constexpr std::chrono::seconds AnswerTimeout{120};
constexpr std::chrono::seconds ReadTimeout{5};
// How long a refused read is answered from memory.
constexpr std::chrono::seconds FailureMemory{30};

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
        if (m_pendingReads.contains(key))
            return {false, {}, QStringLiteral("the keychain has not answered yet; is it locked?")};
        const auto failed = m_failures.constFind(key);
        if (failed != m_failures.cend() && std::chrono::steady_clock::now() < failed->until)
            return {false, {}, failed->error};
    }
    return run(Operation::Read, key, {});
}

SecretVault::Result SecretVault::write(const QString &key, const QByteArray &value)
{
    return run(Operation::Write, key, value);
}

void SecretVault::settle(Operation operation, const QString &key, const Result &result,
                         bool abandoned)
{
    std::lock_guard lock(m_mutex);
    switch (operation) {
    case Operation::Read:
        m_pendingReads.remove(key);
        if (result.ok) {
            m_cache.insert(key, result.value);
            m_failures.remove(key);
            if (abandoned)
                ++m_generation; // the caller went on without it
        } else {
            m_failures.insert(key,
                              {result.error, std::chrono::steady_clock::now() + FailureMemory});
        }
        break;
    case Operation::Write:
        if (result.ok && !abandoned)
            m_cache.insert(key, result.value);
        break;
    case Operation::Remove:
        break;
    }
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
        if (operation == Operation::Read)
            m_pendingReads.insert(key);
    }

    // The promise is shared: a job that answers after the caller gave up still has one.
    auto answer = std::make_shared<std::promise<Result>>();
    auto abandoned = std::make_shared<std::atomic<bool>>(false);
    std::future<Result> future = answer->get_future();
    QMetaObject::invokeMethod(context, [this, operation, key, value, answer, abandoned] {
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
        QObject::connect(job, &QKeychain::Job::finished, job,
                         [this, operation, key, value, answer, abandoned](QKeychain::Job *done) {
                             Result result;
                             result.ok = done->error() == QKeychain::NoError;
                             if (result.ok) {
                                 if (auto *read = qobject_cast<QKeychain::ReadPasswordJob *>(done))
                                     result.value = read->binaryData();
                                 else if (operation == Operation::Write)
                                     result.value = value;
                             } else if (done->error() != QKeychain::EntryNotFound ||
                                        operation != Operation::Remove) {
                                 result.error =
                                     done->errorString().isEmpty()
                                         ? QStringLiteral("keychain error %1").arg(done->error())
                                         : done->errorString();
                             }
                             settle(operation, key, result, abandoned->load());
                             // A value written after its caller gave up (and kept it in the
                             // database) would be left in the keychain with nothing naming it.
                             if (operation == Operation::Write && result.ok && abandoned->load()) {
                                 auto *orphan = new QKeychain::DeletePasswordJob(Service);
                                 orphan->setKey(key);
                                 orphan->setAutoDelete(true);
                                 orphan->start();
                             }
                             answer->set_value(result);
                         });
        job->start();
    });
    const auto timeout = operation == Operation::Read ? ReadTimeout : AnswerTimeout;
    if (future.wait_for(timeout) != std::future_status::ready) {
        abandoned->store(true);
        // The answer may have come in between: then it counts.
        if (future.wait_for(std::chrono::seconds(0)) == std::future_status::ready)
            return future.get();
        return {false,
                {},
                QStringLiteral("the keychain did not answer within %1 s; is it locked?")
                    .arg(timeout.count())};
    }
    return future.get();
}
