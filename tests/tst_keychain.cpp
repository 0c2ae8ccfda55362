// Endpoint secrets in the desktop keychain. Runs inside tests/with-keyring.sh: a private
// D-Bus session with a throwaway GNOME keyring, a real Secret Service.

#include "database.h"
#include "deliverystore.h"
#include "endpointrepository.h"
#include "hmac.h"
#include "secretvault.h"
#include "signatureverifier.h"
#include "testsupport.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QSqlQuery>
#include <QTest>

namespace {

// Reads an entry straight from the Secret Service with libsecret's own tool, past HookScope
// and its memory of what it wrote. QtKeychain files binary values base64-encoded.
std::optional<QByteArray> keychainEntry(const QString &key)
{
    QProcess lookup;
    lookup.start(QStringLiteral("secret-tool"),
                 {QStringLiteral("lookup"), QStringLiteral("user"), key, QStringLiteral("server"),
                  QStringLiteral("HookScope")});
    if (!lookup.waitForFinished(10000) || lookup.exitStatus() != QProcess::NormalExit ||
        lookup.exitCode() != 0)
        return std::nullopt;
    return QByteArray::fromBase64(lookup.readAllStandardOutput().trimmed());
}

QStringList keysOf(const Database &db)
{
    QStringList keys;
    QSqlQuery query(db.connection());
    query.exec(QStringLiteral("SELECT keychain_key FROM endpoint_secrets ORDER BY position"));
    while (query.next())
        keys.append(query.value(0).toString());
    return keys;
}

Endpoint hostedHooks(const QList<EndpointSecret> &secrets)
{
    Endpoint endpoint;
    endpoint.name = QStringLiteral("hh");
    endpoint.path = QStringLiteral("/hooks/hh");
    endpoint.scheme = SignatureScheme::HostedHooks;
    endpoint.secrets = secrets;
    return endpoint;
}

QByteArray fileBytes(const QString &path)
{
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

} // namespace

class TestKeychain : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        if (qEnvironmentVariableIsEmpty("DBUS_SESSION_BUS_ADDRESS"))
            QSKIP("needs the session bus that tests/with-keyring.sh starts");
        qunsetenv("HOOKSCOPE_SECRET_STORAGE");
    }

    void secretsLiveInTheKeychainNotTheFile()
    {
        const QString path = TestSupport::temporaryPath(QStringLiteral("keychain.db"));
        const QByteArray secret = "whsec_kept-out-of-the-database-4711";
        {
            Database db;
            QString error;
            QVERIFY2(db.open(path, &error), qPrintable(error));
            Endpoint endpoint = hostedHooks({{QStringLiteral("$HH_SECRET"), secret}});
            EndpointRepository::SecretStorage storage;
            QVERIFY2(EndpointRepository(db).add(endpoint, &error, &storage), qPrintable(error));
            QCOMPARE(storage.inKeychain, 1);
            QCOMPARE(storage.inDatabase, 0);

            const QStringList keys = keysOf(db);
            QCOMPARE(keys.size(), 1);
            QVERIFY(!keys[0].isEmpty());
            QCOMPARE(keychainEntry(keys[0]), std::optional<QByteArray>(secret));

            const auto listed = EndpointRepository(db).find(QStringLiteral("hh"), &error);
            QVERIFY(listed);
            QCOMPARE(listed->secrets.size(), 1);
            QCOMPARE(listed->secrets[0].value, secret);
            QCOMPARE(listed->secrets[0].label, QStringLiteral("$HH_SECRET"));
            QVERIFY(listed->secrets[0].inKeychain);
            QVERIFY(listed->secretProblem.isEmpty());
        }
        // Neither the database nor its write-ahead log holds the value.
        QVERIFY(!fileBytes(path).contains(secret));
        QVERIFY(!fileBytes(path + QStringLiteral("-wal")).contains(secret));
    }

    void replacedAndRemovedSecretsLeaveTheKeychain()
    {
        const QString path = TestSupport::temporaryPath(QStringLiteral("rotate.db"));
        Database db;
        QString error;
        QVERIFY2(db.open(path, &error), qPrintable(error));
        Endpoint endpoint = hostedHooks({{QStringLiteral("old"), "first-secret"}});
        QVERIFY2(EndpointRepository(db).add(endpoint, &error), qPrintable(error));
        const QString oldKey = keysOf(db).value(0);
        QVERIFY(keychainEntry(oldKey));

        endpoint.secrets = {{QStringLiteral("old"), "first-secret"},
                            {QStringLiteral("new"), "second-secret"}};
        QVERIFY2(EndpointRepository(db).update(endpoint, &error), qPrintable(error));
        const QStringList keys = keysOf(db);
        QCOMPARE(keys.size(), 2);
        QVERIFY(!keys.contains(oldKey));
        QVERIFY(!keychainEntry(oldKey)); // the replaced entry is gone
        QCOMPARE(keychainEntry(keys[1]), std::optional<QByteArray>("second-secret"));

        QVERIFY2(EndpointRepository(db).remove(QStringLiteral("hh"), &error), qPrintable(error));
        QVERIFY(!keychainEntry(keys[0]));
        QVERIFY(!keychainEntry(keys[1]));
    }

    void theStoreVerifiesWithAKeychainSecret()
    {
        const QString path = TestSupport::temporaryPath(QStringLiteral("store.db"));
        const QByteArray secret = "store-side-secret";
        {
            Database db;
            QString error;
            QVERIFY2(db.open(path, &error), qPrintable(error));
            Endpoint endpoint = hostedHooks({{QStringLiteral("current"), secret}});
            QVERIFY2(EndpointRepository(db).add(endpoint, &error), qPrintable(error));
        }
        // The writer thread reads the endpoints, and with them the secret, on its own.
        DeliveryStore store;
        DeliveryStore::Options options;
        options.path = path;
        QString error;
        QVERIFY2(store.open(options, &error), qPrintable(error));
        const QList<Endpoint> endpoints = store.endpoints();
        QCOMPARE(endpoints.size(), 1);
        QCOMPARE(endpoints[0].secrets.value(0).value, secret);

        const QByteArray body = "{\"type\":\"subscriber.created\"}";
        const qint64 now = 1700000000;
        HeaderList headers;
        headers.append("HostedHooks-Signature",
                       "t=1700000000,s=" + Hmac::compute(Hmac::Algorithm::Sha256, secret,
                                                         QByteArray("1700000000." + body))
                                               .toHex());
        const Verification v = SignatureVerifier::verify(&endpoints[0], headers, body, now);
        QCOMPARE(v.verdict, Verdict::Valid);
        QCOMPARE(v.matchedSecret, QStringLiteral("current"));
    }

    void anUnreadableSecretIsExplained()
    {
        const QString path = TestSupport::temporaryPath(QStringLiteral("unreadable.db"));
        Database db;
        QString error;
        QVERIFY2(db.open(path, &error), qPrintable(error));
        Endpoint endpoint = hostedHooks({{QStringLiteral("lost"), "whatever"}});
        QVERIFY2(EndpointRepository(db).add(endpoint, &error), qPrintable(error));
        // The entry disappears from the keychain behind HookScope's back (another machine's
        // keychain, a reset keyring): the key in the file names nothing.
        QSqlQuery query(db.connection());
        QVERIFY(query.exec(QStringLiteral("UPDATE endpoint_secrets SET keychain_key = "
                                          "'endpoint-secret/never-written'")));

        const auto listed = EndpointRepository(db).find(QStringLiteral("hh"), &error);
        QVERIFY(listed);
        QVERIFY(listed->secrets.isEmpty());
        QVERIFY2(listed->secretProblem.contains(
                     QStringLiteral("\"lost\" could not be read from the desktop keychain")),
                 qPrintable(listed->secretProblem));

        HeaderList headers;
        headers.append("HostedHooks-Signature", "t=1700000000,s=00");
        const Verification v = SignatureVerifier::verify(&*listed, headers, "{}", 1700000000);
        QCOMPARE(v.verdict, Verdict::Unverified);
        QVERIFY2(v.reason.contains(QStringLiteral("could not be read from the desktop keychain")),
                 qPrintable(v.reason));
    }

    void theCommandLineSaysWhereTheSecretWent()
    {
        const QString db = TestSupport::temporaryPath(QStringLiteral("cli.db"));
        QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
        environment.insert(QStringLiteral("HH_SECRET"), QStringLiteral("cli-keychain-secret"));
        environment.remove(QStringLiteral("HOOKSCOPE_SECRET_STORAGE"));
        QProcess add;
        add.setProcessEnvironment(environment);
        add.start(QStringLiteral(HOOKSCOPE_BINARY),
                  {QStringLiteral("endpoint"), QStringLiteral("add"), QStringLiteral("hh"),
                   QStringLiteral("--path"), QStringLiteral("/hooks/hh"),
                   QStringLiteral("--secret-env"), QStringLiteral("HH_SECRET"),
                   QStringLiteral("--db"), db});
        QVERIFY(add.waitForFinished(30000));
        QCOMPARE(add.exitCode(), 0);
        const QByteArray out = add.readAllStandardOutput();
        QVERIFY2(out.contains("kept in the desktop keychain"), out.constData());

        QProcess list;
        list.setProcessEnvironment(environment);
        list.start(QStringLiteral(HOOKSCOPE_BINARY),
                   {QStringLiteral("endpoint"), QStringLiteral("list"), QStringLiteral("--json"),
                    QStringLiteral("--db"), db});
        QVERIFY(list.waitForFinished(30000));
        const QJsonArray endpoints = QJsonDocument::fromJson(list.readAllStandardOutput()).array();
        QCOMPARE(endpoints.size(), 1);
        QCOMPARE(endpoints[0][QStringLiteral("secret_storage")].toString(),
                 QStringLiteral("keychain"));
    }

    void anUpdateNeverDropsASecretItCouldNotRead()
    {
        const QString db = TestSupport::temporaryPath(QStringLiteral("keep.db"));
        {
            Database database;
            QString error;
            QVERIFY2(database.open(db, &error), qPrintable(error));
            Endpoint endpoint = hostedHooks({{QStringLiteral("locked"), "kept-secret"}});
            QVERIFY2(EndpointRepository(database).add(endpoint, &error), qPrintable(error));
            QSqlQuery query(database.connection());
            QVERIFY(query.exec(QStringLiteral("UPDATE endpoint_secrets SET keychain_key = "
                                              "'endpoint-secret/not-given'")));
        }
        QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
        environment.remove(QStringLiteral("HOOKSCOPE_SECRET_STORAGE"));
        QProcess update;
        update.setProcessEnvironment(environment);
        update.start(QStringLiteral(HOOKSCOPE_BINARY),
                     {QStringLiteral("endpoint"), QStringLiteral("update"), QStringLiteral("hh"),
                      QStringLiteral("--tolerance"), QStringLiteral("60"), QStringLiteral("--db"),
                      db});
        QVERIFY(update.waitForFinished(30000));
        QCOMPARE(update.exitCode(), 2);
        const QByteArray err = update.readAllStandardError();
        QVERIFY2(err.contains("could not be read from the desktop keychain"), err.constData());
        QVERIFY2(err.contains("--secret-env"), err.constData());

        Database database;
        QVERIFY(database.open(db, nullptr));
        QCOMPARE(keysOf(database), QStringList{QStringLiteral("endpoint-secret/not-given")});
    }

    void theDatabaseTakesSecretsWhenTheKeychainIsTurnedOff()
    {
        qputenv("HOOKSCOPE_SECRET_STORAGE", "database");
        const QString path = TestSupport::temporaryPath(QStringLiteral("off.db"));
        Database db;
        QString error;
        QVERIFY2(db.open(path, &error), qPrintable(error));
        Endpoint endpoint = hostedHooks({{QStringLiteral("plain"), "in-the-file"}});
        EndpointRepository::SecretStorage storage;
        QVERIFY2(EndpointRepository(db).add(endpoint, &error, &storage), qPrintable(error));
        qunsetenv("HOOKSCOPE_SECRET_STORAGE");
        QCOMPARE(storage.inKeychain, 0);
        QCOMPARE(storage.inDatabase, 1);
        QVERIFY(storage.keychainError.contains(QStringLiteral("HOOKSCOPE_SECRET_STORAGE")));
        QCOMPARE(keysOf(db), QStringList{QString()});
        const auto listed = EndpointRepository(db).find(QStringLiteral("hh"), &error);
        QVERIFY(listed);
        QCOMPARE(listed->secrets.value(0).value, QByteArray("in-the-file"));
        QVERIFY(!listed->secrets.value(0).inKeychain);
    }
};

QTEST_GUILESS_MAIN(TestKeychain)
#include "tst_keychain.moc"
