// Windows on a team database (a real PostgreSQL server the test starts): every window shows
// what any receiver stores, live, and a viewer's window is read-only.

#include "deliverylistmodel.h"
#include "eventsview.h"
#include "mainwindow.h"
#include "pgcluster.h"
#include "teamsupport.h"

#include <QApplication>
#include <QDir>
#include <QFile>
#include <QPushButton>
#include <QStandardPaths>
#include <QTableWidget>

using namespace TeamSupport;

class TeamWindowTest : public QObject
{
    Q_OBJECT

private:
    PostgresCluster m_cluster;
    QString m_database = QStringLiteral("team");

    QString sql(const QString &statement)
    {
        QString error;
        const std::optional<QString> out = m_cluster.psql(statement, &error, m_database);
        if (!out)
            qWarning("psql: %s", qPrintable(error));
        return out.value_or(QStringLiteral("<error>"));
    }

    std::unique_ptr<MainWindow> openWindow(const QString &user)
    {
        MainWindow::Options options;
        options.databasePath = m_cluster.url(m_database, user);
        options.port = 0;
        auto window = std::make_unique<MainWindow>(options);
        window->show();
        return window;
    }

private Q_SLOTS:
    void initTestCase()
    {
        // This machine's own file (where a team endpoint's secret is kept) in a home of the
        // test's, apart from other tests running at the same time.
        const QString home = TestSupport::temporaryPath(QStringLiteral("home"));
        QDir().mkpath(home);
        qputenv("HOME", QFile::encodeName(home));
        QStandardPaths::setTestModeEnabled(true);
        QString error;
        QVERIFY2(m_cluster.start(&error), qPrintable(error));
        QVERIFY2(m_cluster.createDatabase(m_database, &error), qPrintable(error));
        const QProcessEnvironment a = machine(QStringLiteral("window-a"));
        const Run init =
            hookscope({QStringLiteral("db"), QStringLiteral("init"), m_cluster.url(m_database),
                       QStringLiteral("--receiver"), QStringLiteral("receiver1"),
                       QStringLiteral("--viewer"), QStringLiteral("qa")},
                      a);
        QVERIFY2(init.exitCode == 0, qPrintable(init.err));
        const Run add = hookscope(
            {QStringLiteral("endpoint"), QStringLiteral("add"), QStringLiteral("hh"),
             QStringLiteral("--path"), QStringLiteral("/hooks/hh"), QStringLiteral("--scheme"),
             QStringLiteral("hostedhooks"), QStringLiteral("--secret-env"),
             QStringLiteral("TEAM_SECRET"), QStringLiteral("--db"), m_cluster.url(m_database)},
            a);
        QVERIFY2(add.exitCode == 0, qPrintable(add.err));
    }

    void everyWindowShowsWhatEveryReceiverStores()
    {
        const QProcessEnvironment a = machine(QStringLiteral("window-a"));
        Serve serveA;
        Serve serveB;
        QVERIFY(serveA.start(m_cluster.url(m_database, QStringLiteral("receiver1")), a));
        QVERIFY(serveB.start(m_cluster.url(m_database, QStringLiteral("receiver1")), a));

        // A teammate who receives too, and QA, who only looks.
        const std::unique_ptr<MainWindow> receiving = openWindow(QStringLiteral("receiver1"));
        const std::unique_ptr<MainWindow> viewing = openWindow(QStringLiteral("qa"));
        QTRY_VERIFY_WITH_TIMEOUT(receiving->isReady() && viewing->isReady(), 20000);
        QVERIFY(!receiving->isReadOnly());
        QVERIFY(receiving->listenerPort() != 0);
        QVERIFY(viewing->isReadOnly());
        QCOMPARE(viewing->listenerPort(), quint16(0));
        QVERIFY2(viewing->windowTitle().endsWith(QStringLiteral("read-only")),
                 qPrintable(viewing->windowTitle()));
        QVERIFY2(viewing->listenerText().startsWith(QStringLiteral("Read-only")),
                 qPrintable(viewing->listenerText()));
        // This machine was given no secret for the team's endpoint: the window says so.
        QTRY_VERIFY2(receiving->bannerText().contains(QStringLiteral("this machine has no secret")),
                     qPrintable(receiving->bannerText()));

        // 5,000 events, each to one receiver and its retry to the other.
        constexpr int Events = 5000;
        Senders senders;
        QVERIFY(senders.run(crossingRetries(Events, serveA.port(), serveB.port()), 8));
        QCOMPARE(acknowledged(senders), 2 * Events);
        QCOMPARE(sql(QStringLiteral("SELECT count(*) FROM deliveries")),
                 QString::number(2 * Events));
        QCOMPARE(sql(QStringLiteral("SELECT count(*) || ' ' || count(DISTINCT subscriber_id) FROM "
                                    "subscribers")),
                 QStringLiteral("%1 %1").arg(Events));

        // Both windows show all of them, as they were stored.
        QTRY_COMPARE_WITH_TIMEOUT(receiving->deliveryModel()->rowCount(), 2 * Events, 10000);
        QTRY_COMPARE_WITH_TIMEOUT(viewing->deliveryModel()->rowCount(), 2 * Events, 10000);

        // A delivery stored now shows within a second in both.
        QCOMPARE(
            TestSupport::sendRaw(serveA.port(), signedRequest(subscriberCreated(Events))).status,
            200);
        QTRY_COMPARE_WITH_TIMEOUT(receiving->deliveryModel()->rowCount(), 2 * Events + 1, 1000);
        QTRY_COMPARE_WITH_TIMEOUT(viewing->deliveryModel()->rowCount(), 2 * Events + 1, 1000);
        QCOMPARE(
            viewing->deliveryModel()->index(0, DeliveryListModel::EventIdColumn).data().toString(),
            QStringLiteral("evt_%1").arg(Events));

        // What the receivers learned of the event type, every window's Events view shows, and a
        // delivery that drifted is marked in both lists.
        receiving->showEventsView();
        viewing->showEventsView();
        QByteArray drifting = subscriberCreated(Events + 1);
        drifting.replace("\"plan\":\"pro\"", "\"plan\":\"pro\",\"coupon\":\"SPRING\"");
        QCOMPARE(TestSupport::sendRaw(serveB.port(), signedRequest(drifting)).status, 200);
        const auto learned = [](MainWindow *window, int column) -> qint64 {
            QTableWidget *table = window->eventsView()->eventTypeTable();
            for (int row = 0; row < table->rowCount(); ++row) {
                if (table->item(row, EventsView::EventTypeColumn)
                        ->data(EventsView::EventTypeRole)
                        .toString() == u"subscriber.created")
                    return table->item(row, column)->data(Qt::DisplayRole).toLongLong();
            }
            return -1;
        };
        for (MainWindow *window : {receiving.get(), viewing.get()}) {
            QTRY_COMPARE_WITH_TIMEOUT(learned(window, EventsView::DeliveriesColumn),
                                      qint64(2 * Events + 2), 10000);
            QCOMPARE(learned(window, EventsView::DriftedColumn), qint64(1));
            QTRY_COMPARE_WITH_TIMEOUT(window->deliveryModel()->rowCount(), 2 * Events + 2, 1000);
            const qint64 newest =
                window->deliveryModel()->index(0, 0).data(DeliveryListModel::IdRole).toLongLong();
            QTRY_VERIFY_WITH_TIMEOUT(window->deliveryModel()->isDrifted(newest), 5000);
            // Learning again is for the receivers.
            auto *relearn =
                window->eventsView()->findChild<QPushButton *>(QStringLiteral("relearnButton"));
            QVERIFY(relearn);
            QCOMPARE(relearn->isEnabled(), window == receiving.get());
        }
    }
};

QTEST_MAIN(TeamWindowTest)
#include "tst_teamwindow.moc"
