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
    // The request as last sent (its headers, the new signature included) and the whole
    // answer: status, headers and body.
    QString answerText() const;
    QString urlText() const;
    void send();

    // Where a replay of a delivery of `endpoint` goes unless the user says otherwise: the URL
    // used last for that endpoint, else its forward URL, else `ownBaseUrl` and the path.
    static QString defaultUrl(const Endpoint *endpoint, const QString &path,
                              const QString &ownBaseUrl);
    static void rememberUrl(const QString &endpointName, const QString &url);

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
    QPlainTextEdit *m_answer = nullptr;
};
