#pragma once

#include "endpoint.h"

#include <QDialog>

class QCheckBox;
class QComboBox;
class QDialogButtonBox;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QListWidget;
class QSpinBox;
class QTableWidget;
class QWidget;
class QueryService;

// Adds, edits and removes endpoints. Saving goes through the QueryService (off the GUI
// thread), which then verifies the endpoint's stored deliveries again.
class EndpointsDialog : public QDialog
{
    Q_OBJECT

public:
    EndpointsDialog(QueryService &queries, const QList<Endpoint> &endpoints,
                    const QString &listenerUrl, QWidget *parent = nullptr);

    // Replaces the list (the store announces every change).
    void setEndpoints(const QList<Endpoint> &endpoints);
    QString statusText() const;
    // The ngrok tunnel's public URL to this listener, or empty.
    void setPublicUrl(const QString &url);

private:
    void showEndpoint(int row);
    void newEndpoint();
    void save();
    void removeCurrent();
    void addSecretRow(const EndpointSecret &secret);
    void updateSchemeOptions();
    void updateUrl();
    void showResponse(const ResponsePolicy &response);
    Endpoint endpointFromForm(QString *error) const;
    void setStatus(const QString &text, bool error);

    QueryService &m_queries;
    QList<Endpoint> m_endpoints;
    QString m_listenerUrl;
    QString m_publicUrl;
    QString m_editing;        // name of the endpoint in the form; empty for a new one
    QString m_statusEndpoint; // the endpoint the status line speaks of
    QListWidget *m_list = nullptr;
    QLineEdit *m_name = nullptr;
    QLineEdit *m_path = nullptr;
    QLabel *m_url = nullptr;
    QComboBox *m_scheme = nullptr;
    QSpinBox *m_tolerance = nullptr;
    QLineEdit *m_subscriberPath = nullptr;
    QTableWidget *m_secrets = nullptr;
    QCheckBox *m_reveal = nullptr;
    QLabel *m_secretStorage = nullptr;
    QWidget *m_genericBox = nullptr;
    QLineEdit *m_header = nullptr;
    QLineEdit *m_prefix = nullptr;
    QComboBox *m_algorithm = nullptr;
    QComboBox *m_encoding = nullptr;
    QLineEdit *m_template = nullptr;
    QLineEdit *m_timestampHeader = nullptr;
    QLineEdit *m_idHeader = nullptr;
    QSpinBox *m_answerStatus = nullptr;
    QLineEdit *m_answerBody = nullptr;
    QPlainTextEdit *m_answerHeaders = nullptr;
    QSpinBox *m_delay = nullptr;
    QSpinBox *m_failFirst = nullptr;
    QSpinBox *m_failStatus = nullptr;
    QCheckBox *m_rejectInvalid = nullptr;
    QLineEdit *m_forwardUrl = nullptr;
    QCheckBox *m_answerWithApp = nullptr;
    QLabel *m_status = nullptr;
};
