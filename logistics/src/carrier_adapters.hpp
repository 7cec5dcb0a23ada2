// Private: the real carriers' adapters, made from their part of the credentials file, and
// their pushes read. carrier.cpp builds the server's Carriers from these.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "keepsake/logistics/carrier.hpp"

namespace keepsake::logistics {

// SF Express from {"url", "partner_id", "check_word", "monthly_card", "express_type",
// "timeout_s"}; nullptr with `error` set when a field is missing or wrong.
std::unique_ptr<Carrier> MakeSfExpress(const nlohmann::json& config, std::string& error);
CarrierResult<std::vector<WaybillScans>> ReadSfRoutePush(const FormFields& form,
                                                         const std::string& check_word);
// SF's route operation code (opCode) as the shipment table's status: "" for a step that
// changes nothing (the order was received, the account was closed), nullopt for one we do
// not know.
std::optional<std::string> StatusFromSfOpCode(const std::string& op_code);

// The Kuaidi100 couriers from {"label_url", "poll_url", "query_url", "key", "secret",
// "customer", "salt", "callback_url", "timeout_s", "couriers": {"zto": {"partner_id",
// "partner_key"}, ...}}, one Carrier per courier; empty with `error` set on a mistake.
std::vector<std::unique_ptr<Carrier>> MakeKuaidi100(const nlohmann::json& config,
                                                    std::string& error);
// Kuaidi100's courier code (zhongtong) for our carrier name (zto), and back; "" for none.
std::string Kuaidi100Com(const std::string& carrier);
std::string CarrierOfKuaidi100Com(const std::string& com);
CarrierResult<std::vector<WaybillScans>> ReadKuaidi100Push(const FormFields& form,
                                                           const std::string& salt);
// A Kuaidi100 scan's status word (resultv2: 在途, 揽收, 派件, 签收, ...) or its state number
// as the shipment table's status; nullopt for one we do not know.
std::optional<std::string> StatusFromKuaidi100Word(const std::string& word);

}  // namespace keepsake::logistics
