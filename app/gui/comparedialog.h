#pragma once

#include <QDialog>

class QLabel;
class QPlainTextEdit;
class QTableWidget;
class QueryService;
struct DeliveryComparison;

// How two deliveries differ: each changed body field and header, coloured by kind, and the
// two bodies side by side with the lines that differ marked. The lower id is "before".
class CompareDialog : public QDialog
{
    Q_OBJECT

public:
    enum Column
    {
        PartColumn,
        ChangeColumn,
        PathColumn,
        BeforeColumn,
        AfterColumn,
        ColumnCount
    };

    // Reads both deliveries through `queries`; the dialog fills in when they arrive.
    CompareDialog(QueryService &queries, qint64 first, qint64 second, QWidget *parent = nullptr);

    qint64 beforeId() const { return m_beforeId; }
    qint64 afterId() const { return m_afterId; }
    bool isLoaded() const { return m_loaded; }
    QTableWidget *changeTable() const { return m_changes; }
    QPlainTextEdit *beforeBody() const { return m_beforeBody; }
    QPlainTextEdit *afterBody() const { return m_afterBody; }
    QString summaryText() const;

    // The lines of `before` and of `after` (0-based) that are not in their longest common
    // subsequence: what was removed or changed, and what was added or changed. Nothing
    // (both empty) when the texts are too long to compare line by line.
    static std::pair<QList<int>, QList<int>> differingLines(const QStringList &before,
                                                            const QStringList &after);

private:
    void showComparison(const DeliveryComparison &comparison);
    void markLines(QPlainTextEdit *edit, const QList<int> &lines, const QColor &color);

    qint64 m_beforeId = 0;
    qint64 m_afterId = 0;
    bool m_loaded = false;
    QLabel *m_summary = nullptr;
    QLabel *m_beforeLabel = nullptr;
    QLabel *m_afterLabel = nullptr;
    QTableWidget *m_changes = nullptr;
    QPlainTextEdit *m_beforeBody = nullptr;
    QPlainTextEdit *m_afterBody = nullptr;
};
