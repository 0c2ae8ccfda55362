#include "database.h"
#include "deliverylistmodel.h"
#include "endpointrepository.h"
#include "mainwindow.h"
#include "subscribermodel.h"
#include "subscriberrepository.h"
#include "subscriberswindow.h"
#include "testsupport.h"

#include <QAbstractItemModelTester>
#include <QApplication>
#include <QDateTime>
#include <QFile>
#include <QLineEdit>
#include <QPushButton>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTableView>
#include <QTest>

using TestSupport::buildRequest;
using TestSupport::sendRaw;

namespace {

const QByteArray Secret = "subscribers-gui-secret";

QByteArray subscriberCreated(const QByteArray &eventId, const QByteArray &subscriberId,
                             const QByteArray &name)
{
    const QByteArray body = R"({"event_type":"subscriber.created","event_id":")" + eventId +
                            R"(","data":{"id":")" + subscriberId + R"(","name":")" + name +
                            R"(","email":"billing@acme.test"}})";
    HeaderList headers;
    headers.append("Content-Type", "application/json");
    headers.append("HostedHooks-Signature", TestSupport::hostedHooksSignature(
                                                Secret, QDateTime::currentSecsSinceEpoch(), body));
    return buildRequest("POST", "/hooks/hh", headers, body);
}

} // namespace

class TestSubscribersWindow : public QObject
{
    Q_OBJECT

private:
    QString m_path;
    std::unique_ptr<MainWindow> m_window;
    SubscribersWindow *m_subscribers = nullptr;

    QList<Subscriber> stored()
    {
        Database db;
        if (!db.open(m_path, nullptr))
            return {};
        return SubscriberRepository(db).list(nullptr).value_or(QList<Subscriber>());
    }

    QModelIndex viewIndex(const QString &subscriberId, int column)
    {
        QAbstractItemModel *model = m_subscribers->view()->model();
        for (int row = 0; row < model->rowCount(); ++row) {
            if (model->index(row, SubscriberModel::SubscriberIdColumn).data().toString() ==
                subscriberId)
                return model->index(row, column);
        }
        return {};
    }

private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        m_path = TestSupport::temporaryPath(QStringLiteral("subscribers-window.db"));
        Database db;
        QVERIFY(db.open(m_path, nullptr));
        Endpoint endpoint;
        endpoint.name = QStringLiteral("hh");
        endpoint.path = QStringLiteral("/hooks/hh");
        endpoint.scheme = SignatureScheme::HostedHooks;
        endpoint.secrets = {{QStringLiteral("main"), Secret}};
        QVERIFY(EndpointRepository(db).add(endpoint, nullptr));
        MainWindow::Options options;
        options.databasePath = m_path;
        options.port = 0;
        m_window = std::make_unique<MainWindow>(options);
        m_window->show();
        QTRY_VERIFY(m_window->isReady());
        QCOMPARE(
            sendRaw(m_window->listenerPort(), subscriberCreated("evt_1", "sub_1", "Acme")).status,
            200);
        m_window->showSubscribersWindow();
        m_subscribers = m_window->subscribersWindow();
        QVERIFY(m_subscribers);
        QTRY_COMPARE(m_subscribers->model()->rowCount(), 1);
    }

    void cleanupTestCase() { m_window.reset(); }

    void modelPassesTheTester()
    {
        QAbstractItemModelTester tester(m_subscribers->model(),
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        const QModelIndex name = m_subscribers->model()->index(0, SubscriberModel::NameColumn);
        QCOMPARE(name.data().toString(), QStringLiteral("Acme"));
        QVERIFY(!(name.flags() & Qt::ItemIsEditable));
        QVERIFY(m_subscribers->model()->index(0, SubscriberModel::LocalReferenceColumn).flags() &
                Qt::ItemIsEditable);
        QCOMPARE(
            m_subscribers->model()->index(0, SubscriberModel::VerifiedColumn).data().toString(),
            QStringLiteral("verified"));
    }

    void newSubscribersAppearWithoutARetryDuplicate()
    {
        QCOMPARE(
            sendRaw(m_window->listenerPort(), subscriberCreated("evt_2", "sub_2", "Globex")).status,
            200);
        QCOMPARE(
            sendRaw(m_window->listenerPort(), subscriberCreated("evt_2", "sub_2", "Globex")).status,
            200);
        // The 200 came after the commit: the mapping in the file is final.
        QCOMPARE(stored().size(), 2);
        QTRY_COMPARE(m_subscribers->model()->rowCount(), 2);
    }

    void editingALocalReferenceSavesItAtOnce()
    {
        QTableView *view = m_subscribers->view();
        const QModelIndex reference =
            viewIndex(QStringLiteral("sub_1"), SubscriberModel::LocalReferenceColumn);
        QVERIFY(reference.isValid());
        view->setCurrentIndex(reference);
        view->edit(reference);
        auto *editor = view->findChild<QLineEdit *>();
        QTRY_VERIFY((editor = view->viewport()->findChild<QLineEdit *>()) != nullptr);
        editor->selectAll();
        QTest::keyClicks(editor, QStringLiteral("acct-1001"));
        QTest::keyClick(editor, Qt::Key_Return);
        QTRY_COMPARE(m_subscribers->statusText(), QStringLiteral("Saved."));
        QList<Subscriber> rows = stored();
        const auto it = std::find_if(rows.cbegin(), rows.cend(), [](const Subscriber &s) {
            return s.subscriberId == u"sub_1";
        });
        QVERIFY(it != rows.cend());
        QCOMPARE(it->localReference, QStringLiteral("acct-1001"));
        QCOMPARE(it->notes, QString());
    }

    void searchNarrowsTheTable()
    {
        auto *search = m_subscribers->findChild<QLineEdit *>(QStringLiteral("subscriberSearch"));
        search->setText(QStringLiteral("globex"));
        QCOMPARE(m_subscribers->view()->model()->rowCount(), 1);
        search->clear();
        QCOMPARE(m_subscribers->view()->model()->rowCount(), 2);
    }

    void openingTheCreatingDeliverySelectsIt()
    {
        m_subscribers->view()->setCurrentIndex(viewIndex(QStringLiteral("sub_2"), 0));
        for (QPushButton *button : m_subscribers->findChildren<QPushButton *>()) {
            if (button->text().contains(QStringLiteral("creating")))
                button->click();
        }
        const qint64 created = stored().constFirst().subscriberId == u"sub_2"
                                   ? stored().constFirst().createdDeliveryId
                                   : stored().constLast().createdDeliveryId;
        QTRY_COMPARE(
            m_window->deliveryView()->currentIndex().data(DeliveryListModel::IdRole).toLongLong(),
            created);
    }

    void exportAndImport()
    {
        const QString csv = TestSupport::temporaryPath(QStringLiteral("export.csv"));
        m_subscribers->exportTo(csv, true);
        QTRY_VERIFY(
            m_subscribers->statusText().startsWith(QStringLiteral("Exported 2 subscribers")));
        QFile file(csv);
        QVERIFY(file.open(QIODevice::ReadOnly));
        const QByteArray text = file.readAll();
        QVERIFY(text.contains("\"sub_1\",\"acct-1001\""));

        const QString import = TestSupport::temporaryPath(QStringLiteral("import.csv"));
        QFile out(import);
        QVERIFY(out.open(QIODevice::WriteOnly));
        out.write("subscriber_id,local_reference,notes\nsub_2,acct-2002,\"from, the "
                  "CRM\"\nsub_404,acct-x\n");
        out.close();
        m_subscribers->importFrom(import);
        QTRY_VERIFY(m_subscribers->statusText().contains(QStringLiteral("1 applied")));
        QVERIFY(m_subscribers->statusText().contains(
            QStringLiteral("line 3: sub_404: no such subscriber")));
        QTRY_COMPARE(
            viewIndex(QStringLiteral("sub_2"), SubscriberModel::NotesColumn).data().toString(),
            QStringLiteral("from, the CRM"));
    }
};

QTEST_MAIN(TestSubscribersWindow)
#include "tst_subscriberswindow.moc"
