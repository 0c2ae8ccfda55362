#pragma once

#include "delivery.h"
#include "endpoint.h"

#include <QDialog>

class HttpSender;
class QCheckBox;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QueryService;

// Sends a stored delivery again to any URL: as recorded, or with headers and body edited,
// and re-signed with its endpoint's scheme. The answer is shown and kept with the delivery.
class ReplayDialog : public QDialog
{
    Q_OBJECT

public:
    ReplayDialog(QueryService &queries, const Delivery &delivery, const Endpoint *endpoint,
                 const QString &defaultBaseUrl, QWidget *parent = nullptr);

    QString resultText() const;
    void send();

private:
    QueryService &m_queries;
    Delivery m_delivery;
    std::optional<Endpoint> m_endpoint;
    HttpSender *m_sender = nullptr;
    QLineEdit *m_url = nullptr;
    QCheckBox *m_resign = nullptr;
    QPlainTextEdit *m_headers = nullptr;
    QPlainTextEdit *m_body = nullptr;
    QLabel *m_result = nullptr;
};
