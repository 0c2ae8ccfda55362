#pragma once

#include "deliverydetails.h"

#include <QTabWidget>

class QComboBox;
class QFormLayout;
class QLabel;
class QLineEdit;
class QListWidget;
class QPlainTextEdit;
class QTableWidget;
class QTreeWidget;
class JsonHighlighter;

// The detail pane: Overview (the verdict, large and plain, and why), Headers, Body, Fields.
// Every payload text is shown as plain text.
class DeliveryDetailView : public QTabWidget
{
    Q_OBJECT

public:
    explicit DeliveryDetailView(QWidget *parent = nullptr);

    void showDetails(const DeliveryDetails &details);
    void showMessage(const QString &message);
    void clear();
    qint64 deliveryId() const { return m_id; }
    // The delivery shown was not yet learned when its details were read: its drift is to come.
    bool driftPending() const { return m_id != 0 && m_driftPending; }
    QString driftText() const;
    // The delivery shown, when one is (deliveryId() != 0).
    const DeliveryDetails &details() const { return m_details; }

    // For tests: the texts the user reads.
    QString verdictText() const;
    QString reasonText() const;
    QString eventText() const;
    QString providerText() const;
    // What the Body tab shows now.
    QString bodyText() const;

Q_SIGNALS:
    // The user asked to see another delivery (an attempt of the same event).
    void deliveryRequested(qint64 id);

protected:
    void resizeEvent(QResizeEvent *event) override;

private:
    bool fitsWideHex() const;
    QWidget *buildOverview();
    QWidget *buildBody();
    void showBodyMode();
    QLabel *addRow(const QString &label);
    void copySelection();

    qint64 m_id = 0;
    DeliveryDetails m_details;
    QLabel *m_verdict = nullptr;
    QLabel *m_reason = nullptr;
    QLabel *m_diagnosis = nullptr;
    QWidget *m_formWidget = nullptr;
    QFormLayout *m_form = nullptr;
    QList<QLabel *> m_rows; // the values of the form's rows
    QLabel *m_scheme = nullptr;
    QPlainTextEdit *m_signed = nullptr;
    QLineEdit *m_expected = nullptr;
    QLineEdit *m_received = nullptr;
    QLabel *m_timestamp = nullptr;
    QLabel *m_secret = nullptr;
    QLabel *m_provider = nullptr;
    QLabel *m_event = nullptr;
    QLabel *m_subscriber = nullptr;
    QLabel *m_drift = nullptr;
    bool m_driftPending = false;
    QLabel *m_endpoint = nullptr;
    QLabel *m_request = nullptr;
    QLabel *m_answer = nullptr;
    QLabel *m_attemptsTitle = nullptr;
    QListWidget *m_attempts = nullptr;
    QLabel *m_replaysTitle = nullptr;
    QListWidget *m_replays = nullptr;
    QTableWidget *m_headers = nullptr;
    QComboBox *m_bodyMode = nullptr;
    bool m_hexNarrow = false;
    QLabel *m_bodyNote = nullptr;
    QPlainTextEdit *m_body = nullptr;
    JsonHighlighter *m_highlighter = nullptr;
    QTreeWidget *m_fields = nullptr;
};
