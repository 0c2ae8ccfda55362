#pragma once

#include <QWidget>

class QLabel;
class QLineEdit;
class QSortFilterProxyModel;
class QTableView;
class QueryService;
class SubscriberModel;

// The subscriber mapping: browse, search, sort, edit local reference and notes (saved at
// once), open the delivery that created a subscriber or list all of its deliveries, delete,
// export and import.
class SubscribersWindow : public QWidget
{
    Q_OBJECT

public:
    explicit SubscribersWindow(QueryService &queries, QWidget *parent = nullptr);

    SubscriberModel *model() const { return m_model; }
    QTableView *view() const { return m_view; }
    QString statusText() const;

    void exportTo(const QString &path, bool csv);
    void importFrom(const QString &path);

public Q_SLOTS:
    void reload();

Q_SIGNALS:
    void openDeliveryRequested(qint64 deliveryId);
    void showDeliveriesRequested(const QString &subscriberId);

private:
    int currentSourceRow() const;
    void deleteCurrent();
    void setStatus(const QString &text);

    QueryService &m_queries;
    SubscriberModel *m_model = nullptr;
    QSortFilterProxyModel *m_proxy = nullptr;
    QTableView *m_view = nullptr;
    QLineEdit *m_search = nullptr;
    QLabel *m_status = nullptr;
};
