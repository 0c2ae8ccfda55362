#include "subscriberswindow.h"

#include "queryservice.h"
#include "subscribermodel.h"

#include <QAction>
#include <QFileDialog>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QPushButton>
#include <QSortFilterProxyModel>
#include <QTableView>
#include <QVBoxLayout>

SubscribersWindow::SubscribersWindow(QueryService &queries, QWidget *parent)
    : QWidget(parent, Qt::Window)
    , m_queries(queries)
{
    setWindowTitle(tr("HookScope — Subscribers"));
    resize(1100, 520);
    m_model = new SubscriberModel(this);
    m_proxy = new QSortFilterProxyModel(this);
    m_proxy->setSourceModel(m_model);
    m_proxy->setFilterKeyColumn(-1);
    m_proxy->setFilterCaseSensitivity(Qt::CaseInsensitive);
    m_proxy->setSortRole(SubscriberModel::SortRole);
    m_proxy->setSortCaseSensitivity(Qt::CaseInsensitive);

    m_search = new QLineEdit(this);
    m_search->setObjectName(QStringLiteral("subscriberSearch"));
    m_search->setClearButtonEnabled(true);
    m_search->setPlaceholderText(tr("Search subscribers (Ctrl+F)"));
    connect(m_search, &QLineEdit::textChanged, m_proxy,
            &QSortFilterProxyModel::setFilterFixedString);
    auto *find = new QAction(this);
    find->setShortcut(QKeySequence::Find);
    connect(find, &QAction::triggered, m_search, [this] {
        m_search->setFocus();
        m_search->selectAll();
    });
    addAction(find);

    m_view = new QTableView(this);
    m_view->setObjectName(QStringLiteral("subscriberView"));
    m_view->setModel(m_proxy);
    m_view->setSortingEnabled(true);
    m_view->sortByColumn(SubscriberModel::FirstSeenColumn, Qt::DescendingOrder);
    m_view->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_view->setSelectionMode(QAbstractItemView::SingleSelection);
    m_view->setEditTriggers(QAbstractItemView::DoubleClicked | QAbstractItemView::EditKeyPressed |
                            QAbstractItemView::SelectedClicked);
    m_view->verticalHeader()->hide();
    m_view->horizontalHeader()->setStretchLastSection(true);
    m_view->setAlternatingRowColors(true);
    const int widths[] = {100, 150, 95, 140, 170, 130, 160, 140, 140, 110};
    for (int column = 0; column < SubscriberModel::ColumnCount; ++column)
        m_view->setColumnWidth(column, widths[column]);

    auto *openDelivery = new QPushButton(tr("Open creating &delivery"), this);
    auto *showDeliveries = new QPushButton(tr("&All its deliveries"), this);
    auto *remove = new QPushButton(tr("De&lete…"), this);
    auto *exportCsv = new QPushButton(tr("Export &CSV…"), this);
    auto *exportJson = new QPushButton(tr("Export &JSON…"), this);
    auto *import = new QPushButton(tr("&Import CSV…"), this);
    m_status = new QLabel(this);
    m_status->setObjectName(QStringLiteral("subscriberStatus"));
    m_status->setTextFormat(Qt::PlainText);
    m_status->setWordWrap(true);

    auto *buttons = new QHBoxLayout;
    buttons->addWidget(openDelivery);
    buttons->addWidget(showDeliveries);
    buttons->addWidget(remove);
    buttons->addStretch();
    buttons->addWidget(exportCsv);
    buttons->addWidget(exportJson);
    buttons->addWidget(import);
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_search);
    layout->addWidget(m_view, 1);
    layout->addLayout(buttons);
    layout->addWidget(m_status);

    connect(m_model, &SubscriberModel::editRequested, &m_queries,
            [this](qint64 rowId, const QString &reference, const QString &notes) {
                setStatus(tr("Saving…"));
                m_queries.requestSetSubscriberFields(rowId, reference, notes);
            });
    connect(&m_queries, &QueryService::subscriberSaved, this, [this](qint64, const QString &error) {
        if (error.isEmpty()) {
            setStatus(tr("Saved."));
        } else {
            setStatus(tr("Not saved: %1").arg(error));
            reload();
        }
    });
    connect(&m_queries, &QueryService::subscribersLoaded, this,
            [this](const QList<Subscriber> &rows) {
                const int row = currentSourceRow();
                const qint64 keep = row >= 0 ? m_model->subscriberAt(row)->id : 0;
                m_model->setSubscribers(rows);
                const int again = m_model->rowOfId(keep);
                if (again >= 0)
                    m_view->setCurrentIndex(m_proxy->mapFromSource(m_model->index(again, 0)));
                if (m_status->text().isEmpty() || m_status->text() == tr("Loading…"))
                    setStatus(rows.size() == 1 ? tr("1 subscriber")
                                               : tr("%1 subscribers").arg(rows.size()));
            });
    connect(&m_queries, &QueryService::subscriberDeleted, this,
            [this](qint64, const QString &error) {
                setStatus(error.isEmpty() ? tr("Deleted.") : tr("Not deleted: %1").arg(error));
            });
    connect(&m_queries, &QueryService::subscribersExported, this,
            [this](const QString &path, int count, const QString &error) {
                setStatus(error.isEmpty() ? tr("Exported %1 to %2.")
                                                .arg(count == 1 ? tr("1 subscriber")
                                                                : tr("%1 subscribers").arg(count),
                                                     path)
                                          : tr("Not exported to %1: %2").arg(path, error));
            });
    connect(&m_queries, &QueryService::subscribersImported, this,
            [this](const QString &path, const SubscriberRepository::ImportReport &report,
                   const QString &error) {
                if (!error.isEmpty()) {
                    setStatus(tr("Not imported from %1: %2").arg(path, error));
                    return;
                }
                QString text = tr("Imported %1: %2 applied, %3 unchanged, %4 not applied.")
                                   .arg(path)
                                   .arg(report.applied)
                                   .arg(report.unchanged)
                                   .arg(report.problems.size());
                if (!report.problems.isEmpty())
                    text += u'\n' + report.problems.join(u'\n');
                setStatus(text);
            });

    connect(openDelivery, &QPushButton::clicked, this, [this] {
        if (const Subscriber *s = m_model->subscriberAt(currentSourceRow()))
            Q_EMIT openDeliveryRequested(s->createdDeliveryId);
    });
    connect(showDeliveries, &QPushButton::clicked, this, [this] {
        if (const Subscriber *s = m_model->subscriberAt(currentSourceRow()))
            Q_EMIT showDeliveriesRequested(s->subscriberId);
    });
    connect(remove, &QPushButton::clicked, this, &SubscribersWindow::deleteCurrent);
    connect(exportCsv, &QPushButton::clicked, this, [this] {
        const QString path = QFileDialog::getSaveFileName(
            this, tr("Export subscribers"), QStringLiteral("subscribers.csv"), tr("CSV (*.csv)"));
        if (!path.isEmpty())
            exportTo(path, true);
    });
    connect(exportJson, &QPushButton::clicked, this, [this] {
        const QString path =
            QFileDialog::getSaveFileName(this, tr("Export subscribers"),
                                         QStringLiteral("subscribers.json"), tr("JSON (*.json)"));
        if (!path.isEmpty())
            exportTo(path, false);
    });
    connect(import, &QPushButton::clicked, this, [this] {
        const QString path = QFileDialog::getOpenFileName(
            this, tr("Import local references"), QString(),
            tr("CSV: subscriber_id,local_reference[,notes] (*.csv);;All files (*)"));
        if (!path.isEmpty())
            importFrom(path);
    });
    auto *deleteAction = new QAction(this);
    deleteAction->setShortcut(QKeySequence::Delete);
    deleteAction->setShortcutContext(Qt::WidgetShortcut);
    connect(deleteAction, &QAction::triggered, this, &SubscribersWindow::deleteCurrent);
    m_view->addAction(deleteAction);
    setStatus(tr("Loading…"));
    reload();
}

QString SubscribersWindow::statusText() const
{
    return m_status->text();
}

void SubscribersWindow::setStatus(const QString &text)
{
    m_status->setText(text);
}

void SubscribersWindow::reload()
{
    m_queries.requestSubscribers();
}

int SubscribersWindow::currentSourceRow() const
{
    const QModelIndex current = m_view->currentIndex();
    return current.isValid() ? m_proxy->mapToSource(current).row() : -1;
}

void SubscribersWindow::deleteCurrent()
{
    const Subscriber *s = m_model->subscriberAt(currentSourceRow());
    if (!s)
        return;
    const auto answer = QMessageBox::question(
        this, tr("Delete subscriber"),
        tr("Delete subscriber %1 of endpoint %2 from the mapping, with its local reference and "
           "notes? Its deliveries stay; a new subscriber.created event for it would add it again.")
            .arg(s->subscriberId, s->endpoint));
    if (answer == QMessageBox::Yes)
        m_queries.requestDeleteSubscriber(s->id);
}

void SubscribersWindow::exportTo(const QString &path, bool csv)
{
    setStatus(tr("Exporting…"));
    m_queries.requestExportSubscribers(path, csv ? QueryService::ExportFormat::Csv
                                                 : QueryService::ExportFormat::Json);
}

void SubscribersWindow::importFrom(const QString &path)
{
    setStatus(tr("Importing…"));
    m_queries.requestImportSubscribers(path);
}
