#pragma once

#include <QByteArray>
#include <QHash>
#include <QSet>
#include <QString>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>

class QThread;
class QObject;

// The desktop keychain (Secret Service, KWallet, macOS Keychain, Windows Credential Manager,
// through QtKeychain), where endpoint secrets are kept when one answers. The database then
// holds only a random key that names the entry.
//
// Callable from any thread except the vault's own: every keychain job runs on a thread of the
// vault's, and the caller waits for its answer. Values read or written are remembered for the
// life of the process (keys are never reused), so a secret is fetched from the keychain once.
//
// HOOKSCOPE_SECRET_STORAGE=database in the environment turns the keychain off: secrets then
// stay in the database, as they do when no keychain answers.
class SecretVault
{
public:
    struct Result
    {
        bool ok = false;
        QByteArray value;
        QString error;
    };

    static SecretVault &instance();

    // False when the environment turned the keychain off; a keychain may still fail to answer.
    bool enabled() const;
    // A new key for a secret, never used before.
    static QString newKey();

    // Never waits long: a keychain that does not answer within a few seconds (locked, its
    // unlock prompt unanswered) gives an error now, and the value once it answers; until then
    // the key reads as pending, and a refusal is remembered for half a minute.
    Result read(const QString &key);
    Result write(const QString &key, const QByteArray &value);
    Result remove(const QString &key);
    // Changes whenever a value read late arrives, so that holders of secrets can read again.
    quint64 generation() const { return m_generation.load(); }

    SecretVault(const SecretVault &) = delete;
    SecretVault &operator=(const SecretVault &) = delete;

private:
    enum class Operation
    {
        Read,
        Write,
        Remove
    };

    SecretVault();
    ~SecretVault();
    Result run(Operation operation, const QString &key, const QByteArray &value);
    // Keeps what a job answered, on the vault's thread, whether or not its caller still waits.
    void settle(Operation operation, const QString &key, const Result &result, bool abandoned);

    struct Failure
    {
        QString error;
        std::chrono::steady_clock::time_point until;
    };

    std::mutex m_mutex;
    QHash<QString, QByteArray> m_cache; // guarded by m_mutex
    QSet<QString> m_pendingReads;       // guarded by m_mutex
    QHash<QString, Failure> m_failures; // guarded by m_mutex
    std::atomic<quint64> m_generation{0};
    QThread *m_thread = nullptr;  // guarded by m_mutex, started on first use
    QObject *m_context = nullptr; // lives on m_thread
};
