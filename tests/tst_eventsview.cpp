#include "comparedialog.h"
#include "database.h"
#include "deliverydetailview.h"
#include "deliveryfilter.h"
#include "deliverylistmodel.h"
#include "deliveryreader.h"
#include "endpointrepository.h"
#include "eventsview.h"
#include "mainwindow.h"
#include "plaintooltip.h"
#include "queryservice.h"
#include "schemakeeper.h"
#include "testsupport.h"

#include <QAction>
#include <QApplication>
#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLineEdit>
#include <QMenu>
#include <QMenuBar>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTableView>
#include <QTableWidget>
#include <QTest>
#include <QTreeWidget>

#include <set>
#include <tuple>

using TestSupport::buildRequest;
using TestSupport::sendRaw;

namespace {

const QByteArray Secret = "events-view-secret";

QByteArray signedRequest(const QByteArray &body)
{
    HeaderList headers;
    headers.append("Content-Type", "application/json");
    headers.append("HostedHooks-Signature", TestSupport::hostedHooksSignature(
                                                Secret, QDateTime::currentSecsSinceEpoch(), body));
    return buildRequest("POST", "/hooks/shop", headers, body);
}

// The usual shape: a line item array, the total as a string.
QByteArray withItems(const QByteArray &eventId)
{
    return R"({"event_type":"order.created","event_id":")" + eventId + R"(","data":{"id":"ord_)" +
           eventId + R"(","total":"12.50","items":[{"sku":"A-1","qty":1},{"sku":"B-2","qty":3}]}})";
}

// The drifted shape: no items, the total as a number, a customer never seen before.
QByteArray withCustomer(const QByteArray &eventId)
{
    return R"({"event_type":"order.created","event_id":")" + eventId + R"(","data":{"id":"ord_)" +
           eventId + R"(","total":12.5,"customer":{"email":"ana@shop.test"}}})";
}

QByteArray orderPaid(const QByteArray &eventId)
{
    return R"({"event_type":"order.paid","event_id":")" + eventId + R"(","data":{"id":"x"}})";
}

} // namespace

class TestEventsView : public QObject
{
    Q_OBJECT

private:
    QString m_path;
    std::unique_ptr<MainWindow> m_window;
    EventsView *m_events = nullptr;

    bool send(const QByteArray &body)
    {
        return sendRaw(m_window->listenerPort(), signedRequest(body)).status == 200;
    }

    qint64 backlog()
    {
        // Read-only, as a reader would: opening for writing takes the write lock a moment, and
        // asked every 50 ms that would keep the window's learner waiting for its turn.
        Database db;
        if (!db.openReadOnly(m_path, nullptr))
            return -1;
        return SchemaKeeper::backlog(db, nullptr).value_or(-1);
    }

    // The id of the (latest) delivery with `eventId` in the list as shown, or 0.
    qint64 idOf(const QString &eventId) const
    {
        DeliveryListModel *model = m_window->deliveryModel();
        for (int row = 0; row < model->rowCount(); ++row) {
            if (model->index(row, DeliveryListModel::EventIdColumn).data().toString() == eventId)
                return model->index(row, 0).data(DeliveryListModel::IdRole).toLongLong();
        }
        return 0;
    }

    QList<qint64> listedIds() const
    {
        QList<qint64> ids;
        DeliveryListModel *model = m_window->deliveryModel();
        for (int row = 0; row < model->rowCount(); ++row)
            ids.append(model->index(row, 0).data(DeliveryListModel::IdRole).toLongLong());
        return ids;
    }

    int typeRow(const QString &eventType) const
    {
        QTableWidget *table = m_events->eventTypeTable();
        for (int row = 0; row < table->rowCount(); ++row) {
            if (table->item(row, EventsView::EventTypeColumn)
                    ->data(EventsView::EventTypeRole)
                    .toString() == eventType)
                return row;
        }
        return -1;
    }

    qint64 typeCell(const QString &eventType, int column) const
    {
        const int row = typeRow(eventType);
        return row < 0 ? -1
                       : m_events->eventTypeTable()
                             ->item(row, column)
                             ->data(Qt::DisplayRole)
                             .toLongLong();
    }

    bool showAll()
    {
        m_window->filterEdit()->clear();
        QTest::keyClick(m_window->filterEdit(), Qt::Key_Return);
        return QTest::qWaitFor([this] {
            return !m_window->deliveryModel()->isLoading() && idOf(QStringLiteral("evt_p1")) > 0;
        });
    }

    bool selectIds(const QList<qint64> &ids)
    {
        QTableView *view = m_window->deliveryView();
        view->clearSelection();
        DeliveryListModel *model = m_window->deliveryModel();
        for (qint64 id : ids) {
            const int row = model->rowOfId(id);
            if (row < 0)
                return false;
            view->selectionModel()->select(model->index(row, 0),
                                           QItemSelectionModel::Select | QItemSelectionModel::Rows);
        }
        return true;
    }

    void grab(QWidget *widget, const QString &name)
    {
        // HOOKSCOPE_GRAB_DIR=/tmp keeps pictures of the views to look at.
        const QString directory = qEnvironmentVariable("HOOKSCOPE_GRAB_DIR");
        if (!directory.isEmpty())
            widget->grab().save(QDir(directory).filePath(name));
    }

private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QSettings().clear();
        m_path = TestSupport::temporaryPath(QStringLiteral("events-view.db"));
        Database db;
        QVERIFY(db.open(m_path, nullptr));
        Endpoint endpoint;
        endpoint.name = QStringLiteral("shop");
        endpoint.path = QStringLiteral("/hooks/shop");
        endpoint.scheme = SignatureScheme::HostedHooks;
        endpoint.secrets = {{QStringLiteral("main"), Secret}};
        QVERIFY(EndpointRepository(db).add(endpoint, nullptr));

        MainWindow::Options options;
        options.databasePath = m_path;
        options.port = 0;
        m_window = std::make_unique<MainWindow>(options);
        m_window->resize(1300, 800);
        m_window->show();
        QTRY_VERIFY(m_window->isReady());
        QVERIFY(m_window->listenerPort() != 0);

        QVERIFY(send(withItems("evt_1")));
        QVERIFY(send(withItems("evt_2")));
        QVERIFY(send(withItems("evt_3")));
        QVERIFY(send(withCustomer("evt_4")));
        QVERIFY(send(orderPaid("evt_p1")));
        QTRY_COMPARE(backlog(), 0);
        QTRY_COMPARE(m_window->deliveryModel()->rowCount(), 5);

        m_window->showEventsView();
        m_events = m_window->eventsView();
        QVERIFY(m_events);
        QTRY_COMPARE(m_events->eventTypeTable()->rowCount(), 2);
    }

    void cleanupTestCase() { m_window.reset(); }

    void theViewIsInTheViewMenu()
    {
        QAction *events = nullptr;
        for (QAction *top : m_window->menuBar()->actions()) {
            if (!top->menu())
                continue;
            for (QAction *action : top->menu()->actions()) {
                if (action->text() == u"&Events…")
                    events = action;
            }
        }
        QVERIFY(events);
        QCOMPARE(events->shortcut(), QKeySequence(Qt::CTRL | Qt::Key_E));
        // No other action has its keys.
        int sharing = 0;
        for (const auto &[what, keys] : m_window->keyboardShortcuts())
            sharing += keys == events->shortcut().toString(QKeySequence::NativeText) ? 1 : 0;
        QCOMPARE(sharing, 1);
        QAction *compare = m_window->compareAction();
        QCOMPARE(compare->text(), QStringLiteral("Co&mpare"));
        QCOMPARE(compare->shortcut(), QKeySequence(Qt::CTRL | Qt::Key_D));
        sharing = 0;
        for (const auto &[what, keys] : m_window->keyboardShortcuts())
            sharing += keys == compare->shortcut().toString(QKeySequence::NativeText) ? 1 : 0;
        QCOMPARE(sharing, 1);
        // Nothing selected: nothing to compare, and the menu says why.
        m_window->deliveryView()->clearSelection();
        QVERIFY(!compare->isEnabled());
        QVERIFY(!compare->toolTip().isEmpty());
    }

    void eachEventTypeIsListedWithItsCounts()
    {
        QTRY_COMPARE(typeCell(QStringLiteral("order.created"), EventsView::DeliveriesColumn), 4);
        QCOMPARE(typeCell(QStringLiteral("order.created"), EventsView::DriftedColumn), 1);
        QCOMPARE(typeCell(QStringLiteral("order.paid"), EventsView::DeliveriesColumn), 1);
        QCOMPARE(typeCell(QStringLiteral("order.paid"), EventsView::DriftedColumn), 0);
        const int row = typeRow(QStringLiteral("order.created"));
        QCOMPARE(m_events->eventTypeTable()->item(row, EventsView::EndpointColumn)->text(),
                 QStringLiteral("shop"));
        // "", data, data.id, data.total, data.items, data.items[], .sku, .qty, data.customer,
        // data.customer.email, event_type, event_id.
        QCOMPARE(typeCell(QStringLiteral("order.created"), EventsView::FieldsColumn), 12);
        QVERIFY(m_events->progressText().isEmpty());
    }

    void theTreeShowsEachFieldWithItsPresence()
    {
        QVERIFY(m_events->selectEventType(QStringLiteral("shop"), QStringLiteral("order.created")));
        QTRY_VERIFY(m_events->fieldItem(QStringLiteral("data.items[].sku")));
        QTreeWidget *tree = m_events->fieldTree();
        QCOMPARE(tree->topLevelItemCount(), 1);
        QTreeWidgetItem *body = tree->topLevelItem(0);
        QCOMPARE(body->text(EventsView::FieldNameColumn), QStringLiteral("(body)"));
        QCOMPARE(body->text(EventsView::PresenceColumn), QStringLiteral("100%"));

        QTreeWidgetItem *sku = m_events->fieldItem(QStringLiteral("data.items[].sku"));
        QCOMPARE(sku->text(EventsView::FieldNameColumn), QStringLiteral("sku"));
        QCOMPARE(sku->parent()->text(EventsView::FieldNameColumn), QStringLiteral("[]"));
        QCOMPARE(sku->parent()->parent()->text(EventsView::FieldNameColumn),
                 QStringLiteral("items"));
        QCOMPARE(sku->parent()->parent()->parent()->text(EventsView::FieldNameColumn),
                 QStringLiteral("data"));
        QCOMPARE(sku->text(EventsView::PresenceColumn), QStringLiteral("75%"));
        QCOMPARE(sku->data(EventsView::PresenceColumn, EventsView::PresenceRole).toDouble(), 0.75);
        QCOMPARE(sku->text(EventsView::FieldTypesColumn), QStringLiteral("string"));
        QVERIFY2(sku->text(EventsView::ExamplesColumn).contains(QStringLiteral("\"A-1\"")),
                 qPrintable(sku->text(EventsView::ExamplesColumn)));

        QTreeWidgetItem *email = m_events->fieldItem(QStringLiteral("data.customer.email"));
        QVERIFY(email);
        QCOMPARE(email->text(EventsView::PresenceColumn), QStringLiteral("25%"));
        QCOMPARE(email->text(EventsView::FormatsColumn), QStringLiteral("email"));

        QTreeWidgetItem *total = m_events->fieldItem(QStringLiteral("data.total"));
        QVERIFY(total);
        QCOMPARE(total->text(EventsView::PresenceColumn), QStringLiteral("100%"));
        QVERIFY(total->text(EventsView::FieldTypesColumn).contains(QStringLiteral("number")));
        QVERIFY(total->text(EventsView::FieldTypesColumn).contains(QStringLiteral("string")));
        // Exactly as sent: "12.50" keeps its zero, 12.5 is a number.
        QVERIFY2(total->text(EventsView::ExamplesColumn).contains(QStringLiteral("\"12.50\"")),
                 qPrintable(total->text(EventsView::ExamplesColumn)));
        QVERIFY(total->text(EventsView::ExamplesColumn).contains(QStringLiteral("12.5")));
        grab(m_events, QStringLiteral("events-view.png"));
    }

    void activatingAFieldListsTheDeliveriesCarryingIt()
    {
        QTreeWidget *tree = m_events->fieldTree();
        QTreeWidgetItem *sku = m_events->fieldItem(QStringLiteral("data.items[].sku"));
        QVERIFY(sku);
        m_events->activateWindow();
        tree->setFocus();
        tree->setCurrentItem(sku);
        QTest::keyClick(tree, Qt::Key_Return);
        QTRY_COMPARE(m_window->filterText(),
                     QStringLiteral("endpoint:shop event:order.created has:data.items[].sku"));
        QTRY_VERIFY(!m_window->deliveryModel()->isLoading());
        QTRY_COMPARE(m_window->deliveryModel()->rowCount(), 3);
        const QList<qint64> ids = listedIds();
        for (const QString &eventId :
             {QStringLiteral("evt_1"), QStringLiteral("evt_2"), QStringLiteral("evt_3")})
            QVERIFY2(idOf(eventId) > 0, qPrintable(eventId));
        QCOMPARE(idOf(QStringLiteral("evt_4")), 0);

        // The customer only the drifted delivery carried.
        QTreeWidgetItem *customer = m_events->fieldItem(QStringLiteral("data.customer"));
        QVERIFY(customer);
        tree->setCurrentItem(customer);
        QTest::keyClick(tree, Qt::Key_Return);
        QTRY_COMPARE(m_window->filterText(),
                     QStringLiteral("endpoint:shop event:order.created has:data.customer"));
        QTRY_VERIFY(!m_window->deliveryModel()->isLoading());
        QTRY_COMPARE(m_window->deliveryModel()->rowCount(), 1);
        QVERIFY(idOf(QStringLiteral("evt_4")) > 0);
    }

    void activatingTheDriftedCountListsTheDriftedDeliveries()
    {
        QTableWidget *table = m_events->eventTypeTable();
        const int row = typeRow(QStringLiteral("order.created"));
        QVERIFY(row >= 0);
        table->setFocus();
        table->setCurrentCell(row, EventsView::DriftedColumn);
        QTest::keyClick(table, Qt::Key_Return);
        QTRY_COMPARE(m_window->filterText(),
                     QStringLiteral("endpoint:shop event:order.created drift:yes"));
        QTRY_VERIFY(!m_window->deliveryModel()->isLoading());
        QTRY_COMPARE(m_window->deliveryModel()->rowCount(), 1);
        QVERIFY(idOf(QStringLiteral("evt_4")) > 0);
    }

    void filtersQuoteValuesWithSpaces()
    {
        const QString filter =
            EventsView::filterFor(QStringLiteral("my shop"), QStringLiteral("order paid"),
                                  QStringLiteral("data.items[].sku"));
        QCOMPARE(filter,
                 QStringLiteral("endpoint:\"my shop\" event:\"order paid\" has:data.items[].sku"));
        QString error;
        const DeliveryFilter parsed = DeliveryFilter::parse(filter, &error);
        QVERIFY2(error.isEmpty(), qPrintable(error));
        QCOMPARE(parsed.endpoint, QStringLiteral("my shop"));
        QCOMPARE(parsed.eventType, QStringLiteral("order paid"));
        QCOMPARE(parsed.hasPath, QStringLiteral("data.items[].sku"));
        QVERIFY(parsed.text.isEmpty());
        // A delivery without an event type is narrowed by its endpoint only.
        QCOMPARE(EventsView::filterFor(QStringLiteral("shop"), QString(), QString(), true),
                 QStringLiteral("endpoint:shop drift:yes"));
    }

    void theDriftedDeliveryIsMarkedInTheList()
    {
        QVERIFY(showAll());
        DeliveryListModel *model = m_window->deliveryModel();
        const auto driftOf = [&](const QString &eventId) {
            const int row = model->rowOfId(idOf(eventId));
            return model->index(row, DeliveryListModel::EventTypeColumn)
                .data(DeliveryListModel::DriftRole)
                .toBool();
        };
        QTRY_VERIFY(driftOf(QStringLiteral("evt_4")));
        QVERIFY(!driftOf(QStringLiteral("evt_1")));
        QVERIFY(!driftOf(QStringLiteral("evt_3")));
        QVERIFY(!driftOf(QStringLiteral("evt_p1")));
        const int row = model->rowOfId(idOf(QStringLiteral("evt_4")));
        QCOMPARE(
            model->index(row, DeliveryListModel::EventTypeColumn).data(Qt::ToolTipRole).toString(),
            plainToolTip(QStringLiteral("Differs from earlier order.created deliveries")));
        QVERIFY(!model
                     ->index(model->rowOfId(idOf(QStringLiteral("evt_1"))),
                             DeliveryListModel::EventTypeColumn)
                     .data(Qt::ToolTipRole)
                     .isValid());
        grab(m_window.get(), QStringLiteral("events-list.png"));
        // And its Overview says how it drifted; one that did not says so too.
        m_window->deliveryView()->setCurrentIndex(model->index(row, 0));
        DeliveryDetailView *details = m_window->detailView();
        QTRY_VERIFY(details->deliveryId() == idOf(QStringLiteral("evt_4")) &&
                    !details->driftPending());
        QVERIFY2(details->driftText().contains(u"new field data.customer (object)"_qs) &&
                     details->driftText().contains(u"missing data.items"_qs),
                 qPrintable(details->driftText()));
        m_window->deliveryView()->setCurrentIndex(
            model->index(model->rowOfId(idOf(QStringLiteral("evt_3"))), 0));
        QTRY_VERIFY(details->deliveryId() == idOf(QStringLiteral("evt_3")) &&
                    !details->driftPending());
        QVERIFY2(details->driftText().startsWith(u"none"_qs), qPrintable(details->driftText()));
    }

    void comparingTwoDeliveriesListsWhatChanged()
    {
        QVERIFY(showAll());
        const qint64 before = idOf(QStringLiteral("evt_3"));
        const qint64 after = idOf(QStringLiteral("evt_4"));
        QVERIFY(before > 0 && after > before);
        // Selected newest first, compared oldest first.
        QVERIFY(selectIds({after, before}));
        QTRY_VERIFY(m_window->compareAction()->isEnabled());
        m_window->compareAction()->trigger();
        CompareDialog *dialog = m_window->compareDialog();
        QVERIFY(dialog);
        QCOMPARE(dialog->beforeId(), before);
        QCOMPARE(dialog->afterId(), after);
        QTRY_VERIFY(dialog->isLoaded());

        QTableWidget *table = dialog->changeTable();
        using Change = std::tuple<QString, QString, QString, QString, QString>;
        std::set<Change> body;
        QSet<QString> headers;
        QColor added;
        QColor removed;
        for (int row = 0; row < table->rowCount(); ++row) {
            const auto cell = [&](int column) {
                return table->item(row, column)->text();
            };
            if (cell(CompareDialog::PartColumn) == u"header") {
                headers.insert(cell(CompareDialog::PathColumn).toLower());
                continue;
            }
            QCOMPARE(cell(CompareDialog::PartColumn), QStringLiteral("body"));
            const QString kind = cell(CompareDialog::ChangeColumn);
            body.insert({kind, cell(CompareDialog::PathColumn),
                         kind == u"changed" ? cell(CompareDialog::BeforeColumn) : QString(),
                         kind == u"changed" ? cell(CompareDialog::AfterColumn) : QString(),
                         QString()});
            const QColor background = table->item(row, 0)->background().color();
            if (kind == u"added")
                added = background;
            if (kind == u"removed")
                removed = background;
        }
        const std::set<Change> expected{
            {QStringLiteral("changed"), QStringLiteral("event_id"), QStringLiteral("\"evt_3\""),
             QStringLiteral("\"evt_4\""), QString()},
            {QStringLiteral("changed"), QStringLiteral("data.id"), QStringLiteral("\"ord_evt_3\""),
             QStringLiteral("\"ord_evt_4\""), QString()},
            {QStringLiteral("changed"), QStringLiteral("data.total"), QStringLiteral("\"12.50\""),
             QStringLiteral("12.5"), QString()},
            {QStringLiteral("removed"), QStringLiteral("data.items"), QString(), QString(),
             QString()},
            {QStringLiteral("added"), QStringLiteral("data.customer"), QString(), QString(),
             QString()},
        };
        if (body != expected) {
            for (const auto &[kind, path, was, now, unused] : body)
                qWarning() << kind << path << was << now;
        }
        QVERIFY(body == expected);
        // Each delivery is signed for its own body, and the bodies differ in length.
        QVERIFY(headers.contains(QStringLiteral("hostedhooks-signature")));
        QVERIFY2((headers - QSet<QString>{QStringLiteral("hostedhooks-signature"),
                                          QStringLiteral("content-length")})
                     .isEmpty(),
                 qPrintable(QStringList(headers.cbegin(), headers.cend()).join(u',')));
        // Added rows are tinted green, removed ones red.
        QVERIFY(added.isValid() && removed.isValid());
        QVERIFY(added.green() > added.red());
        QVERIFY(removed.red() > removed.green());

        // The bodies side by side, pretty-printed, with the differing lines marked.
        QVERIFY(dialog->beforeBody()->toPlainText().contains(QStringLiteral("\"items\": [")));
        QVERIFY(dialog->afterBody()->toPlainText().contains(QStringLiteral("\"customer\": {")));
        QVERIFY(!dialog->beforeBody()->extraSelections().isEmpty());
        QVERIFY(!dialog->afterBody()->extraSelections().isEmpty());
        grab(dialog, QStringLiteral("compare.png"));
        dialog->close();
    }

    void oneDeliveryIsComparedWithTheAttemptBeforeIt()
    {
        // A retry of evt_2, after other deliveries: its previous attempt is what it is
        // compared with, not the delivery just before it.
        QVERIFY(send(withItems("evt_2")));
        QVERIFY(showAll());
        QTRY_VERIFY(m_window->deliveryModel()->rowCount() == 6);
        const qint64 first = m_window->deliveryModel()
                                 ->index(m_window->deliveryModel()->rowCount() - 2, 0)
                                 .data(DeliveryListModel::IdRole)
                                 .toLongLong();
        const qint64 retry = idOf(QStringLiteral("evt_2"));
        QVERIFY(retry > first);
        QCOMPARE(
            m_window->deliveryModel()->index(0, 0).data(DeliveryListModel::IdRole).toLongLong(),
            retry);
        QVERIFY(selectIds({retry}));
        QTRY_VERIFY(m_window->compareAction()->isEnabled());
        m_window->compareSelection();
        CompareDialog *dialog = m_window->compareDialog();
        QVERIFY(dialog);
        QCOMPARE(dialog->afterId(), retry);
        // The second delivery stored was evt_2's first attempt.
        QCOMPARE(dialog->beforeId(), first);
        QTRY_VERIFY(dialog->isLoaded());
        for (int row = 0; row < dialog->changeTable()->rowCount(); ++row)
            QCOMPARE(dialog->changeTable()->item(row, CompareDialog::PartColumn)->text(),
                     QStringLiteral("header"));
        dialog->close();

        // A delivery of the first type of its kind has nothing before it.
        QVERIFY(selectIds({idOf(QStringLiteral("evt_p1"))}));
        QTRY_VERIFY(m_window->compareAction()->toolTip().startsWith(QStringLiteral("No earlier")));
        QVERIFY(!m_window->compareAction()->isEnabled());
        // Without any earlier attempt, the delivery before of its type.
        QVERIFY(selectIds({idOf(QStringLiteral("evt_4"))}));
        QTRY_VERIFY(m_window->compareAction()->isEnabled());
        m_window->compareSelection();
        QVERIFY(m_window->compareDialog());
        QCOMPARE(m_window->compareDialog()->beforeId(), idOf(QStringLiteral("evt_3")));
        m_window->compareDialog()->close();
        // Three selected: nothing to compare.
        QVERIFY(selectIds({idOf(QStringLiteral("evt_1")), idOf(QStringLiteral("evt_3")),
                           idOf(QStringLiteral("evt_4"))}));
        QVERIFY(!m_window->compareAction()->isEnabled());
    }

    void theViewFollowsWhatIsLearnedAndKeepsItsSelection()
    {
        QVERIFY(m_events->selectEventType(QStringLiteral("shop"), QStringLiteral("order.created")));
        QTRY_VERIFY(m_events->fieldItem(QStringLiteral("data.customer")));
        QVERIFY(send(withCustomer("evt_5")));
        // 6 deliveries of the type now (the retry of evt_2 included), 2 with a customer.
        QTRY_COMPARE(typeCell(QStringLiteral("order.created"), EventsView::DeliveriesColumn), 6);
        QCOMPARE(m_events->currentEventType(), QStringLiteral("order.created"));
        QTRY_COMPARE(
            m_events->fieldItem(QStringLiteral("data.customer"))->text(EventsView::PresenceColumn),
            QStringLiteral("33%"));
        QCOMPARE(m_events->eventTypeTable()->selectedItems().constFirst()->row(),
                 typeRow(QStringLiteral("order.created")));
    }

    void exportWritesTheJsonSchema()
    {
        const QString path = TestSupport::temporaryPath(QStringLiteral("order.schema.json"));
        m_events->exportJsonSchema(path);
        QTRY_VERIFY2(m_events->statusText().startsWith(QStringLiteral("Exported")),
                     qPrintable(m_events->statusText()));
        QFile file(path);
        QVERIFY(file.open(QIODevice::ReadOnly));
        const QByteArray text = file.readAll();
        QVERIFY(text.contains("\n    ")); // indented
        QJsonParseError error;
        const QJsonObject schema = QJsonDocument::fromJson(text, &error).object();
        QCOMPARE(error.error, QJsonParseError::NoError);
        Database db;
        QVERIFY(db.open(m_path, nullptr));
        const auto learned = SchemaKeeper::schema(db, QStringLiteral("shop"),
                                                  QStringLiteral("order.created"), nullptr);
        QVERIFY(learned);
        QCOMPARE(schema, learned->toJsonSchema());
        const QJsonObject items = schema.value(QStringLiteral("properties"))
                                      .toObject()
                                      .value(QStringLiteral("data"))
                                      .toObject()
                                      .value(QStringLiteral("properties"))
                                      .toObject()
                                      .value(QStringLiteral("items"))
                                      .toObject();
        QCOMPARE(items.value(QStringLiteral("type")).toString(), QStringLiteral("array"));
    }

    // Edit → Export as test fixture writes on the query thread: the body as it was sent.
    void aDeliveryIsExportedAsATestFixture()
    {
        const qint64 id = idOf(QStringLiteral("evt_4"));
        QVERIFY(id > 0);
        const QString directory = TestSupport::temporaryPath(QStringLiteral("gui-fixture"));
        QSignalSpy exported(m_window->queryService(), &QueryService::fixtureExported);
        m_window->queryService()->requestExportFixture(id, directory,
                                                       QUrl(QStringLiteral("http://127.0.0.1:9")));
        QTRY_COMPARE(exported.size(), 1);
        const QStringList files = exported.at(0).at(0).toStringList();
        QVERIFY2(exported.at(0).at(2).toString().isEmpty(),
                 qPrintable(exported.at(0).at(2).toString()));
        QCOMPARE(files.size(), 3);
        QFile body(files.at(0));
        QVERIFY(body.open(QIODevice::ReadOnly));
        Database db;
        QVERIFY(db.open(m_path, nullptr));
        QCOMPARE(body.readAll(), DeliveryReader(db).find(id, nullptr)->body);
        // Again into the same folder: nothing written over.
        m_window->queryService()->requestExportFixture(id, directory,
                                                       QUrl(QStringLiteral("http://127.0.0.1:9")));
        QTRY_COMPARE(exported.size(), 2);
        QVERIFY(exported.at(1).at(2).toString().contains(QStringLiteral("exists already")));
    }

    void learningIsShownWhileDeliveriesWait()
    {
        // Everything forgotten: the view says it is learning until the store catches up.
        {
            Database db;
            QVERIFY(db.open(m_path, nullptr));
            QVERIFY(SchemaKeeper::reset(db, nullptr));
        }
        m_events->reload();
        QTRY_VERIFY2(m_events->progressText().startsWith(QStringLiteral("Learning")),
                     qPrintable(m_events->progressText()));
        QVERIFY(send(orderPaid("evt_p2")));
        QTRY_COMPARE(backlog(), 0);
        QTRY_VERIFY(m_events->progressText().isEmpty());
        QTRY_COMPARE(typeCell(QStringLiteral("order.paid"), EventsView::DeliveriesColumn), 2);

        // Learn again, from the window: the same counts come back.
        const auto created =
            typeCell(QStringLiteral("order.created"), EventsView::DeliveriesColumn);
        const auto drifted = typeCell(QStringLiteral("order.created"), EventsView::DriftedColumn);
        auto *relearn = m_events->findChild<QPushButton *>(QStringLiteral("relearnButton"));
        QVERIFY(relearn);
        // The click is answered on the query thread: what it forgot, it says with the backlog
        // it left. (Asked too early, the backlog is still 0 from before.)
        QSignalSpy loaded(m_window->queryService(), &QueryService::eventTypesLoaded);
        relearn->click();
        QTRY_VERIFY(std::any_of(loaded.cbegin(), loaded.cend(), [](const QList<QVariant> &answer) {
            return answer.at(1).toLongLong() > 0;
        }));
        QTRY_VERIFY(m_events->statusText().startsWith(QStringLiteral("Learning")) ||
                    !m_events->progressText().isEmpty());
        QTRY_COMPARE(backlog(), 0);
        QTRY_VERIFY(m_events->progressText().isEmpty());
        QTRY_COMPARE(typeCell(QStringLiteral("order.created"), EventsView::DeliveriesColumn),
                     created);
        QTRY_COMPARE(typeCell(QStringLiteral("order.created"), EventsView::DriftedColumn), drifted);
        QTRY_COMPARE(typeCell(QStringLiteral("order.paid"), EventsView::DeliveriesColumn), 2);
    }
};

QTEST_MAIN(TestEventsView)
#include "tst_eventsview.moc"
